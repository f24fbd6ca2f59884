// Mouse and keyboard on the scatter: drag pans (or draws a box / lasso), the wheel zooms about the cursor, a click
// (a press that moved under 4 px) pins the point under it, moving without a button hovers. Esc clears a selection.

const CLICK_SLOP = 4;

/** The toolbar: tools (pan, box, lasso), density, reset, clear; Esc clears the selection too. */
function attachToolbar(s) {
  const setTool = (tool) => {
    s.tool = tool;
    for (const [name, b] of Object.entries(s.ui.tools)) b.classList.toggle("on", name === tool);
    s.ui.plot.classList.toggle("pan", tool === "pan");
  };
  for (const [name, b] of Object.entries(s.ui.tools)) b.addEventListener("click", () => setTool(name));
  setTool("pan");
  s.ui.density.addEventListener("click", () => {
    s.density = !s.density;
    s.drawn = null;
    s.ui.density.classList.toggle("on", s.density);
    s.requestDraw();
  });
  s.ui.reset.addEventListener("click", () => { s.view.fit(); s.drawn = null; s.requestDraw(); });
  s.ui.clear.addEventListener("click", () => s.clearSelection());
  window.addEventListener("keydown", (e) => { if (e.key === "Escape") s.clearSelection(); });
}

export function attachPointer(s) {
  attachToolbar(s);
  const over = s.ui.over;
  let drag = null;
  const pos = (e) => [e.offsetX, e.offsetY];
  over.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    over.setPointerCapture(e.pointerId);
    const [x, y] = pos(e), mode = e.shiftKey ? "box" : e.altKey ? "lasso" : s.tool;
    drag = { mode, x0: x, y0: y, x, y, path: [x, y], moved: false };
  });
  over.addEventListener("pointermove", (e) => {
    const [x, y] = pos(e);
    if (!drag) { s.hoverAt(x, y, e.timeStamp); return; }
    if (Math.hypot(x - drag.x0, y - drag.y0) > CLICK_SLOP) drag.moved = true;
    if (drag.mode === "pan") { s.view.panBy(x - drag.x, y - drag.y); s.moved(); }
    if (drag.mode === "lasso") drag.path.push(x, y);
    drag.x = x;
    drag.y = y;
    s.drag = drag;
    s.requestDraw();
  });
  const end = (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    s.drag = null;
    if (e.type === "pointerup") {
      if (!d.moved) s.clickAt(d.x0, d.y0);
      else if (d.mode === "box") s.selectBox(d.x0, d.y0, d.x, d.y);
      else if (d.mode === "lasso") s.selectLasso(d.path);
    }
    s.requestDraw();
  };
  over.addEventListener("pointerup", end);
  over.addEventListener("pointercancel", end);
  over.addEventListener("pointerleave", () => { if (!drag) s.leave(); });
  over.addEventListener("wheel", (e) => {
    e.preventDefault();
    const [x, y] = pos(e);
    s.view.zoomAt(x, y, Math.exp(-e.deltaY * 0.002));
    s.moved();
  }, { passive: false });
}
