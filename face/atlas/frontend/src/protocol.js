// Streamlit's component protocol (v1), by hand: three messages out, one in. See streamlit/components/v1 and
// the frontend's ComponentInstance: the host only reads messages that carry isStreamlitMessage.

function send(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

/** Listen for render events ({args, disabled, theme}; bytes args arrive as Uint8Array), then say we are ready. */
export function connect(onRender) {
  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "streamlit:render") onRender(event.data);
  });
  send("streamlit:componentReady", { apiVersion: 1 });
}

export function setFrameHeight(height) {
  send("streamlit:setFrameHeight", { height });
}

export function setComponentValue(value) {
  send("streamlit:setComponentValue", { value, dataType: "json" });
}

/**
 * Events to Python, one at a time, each until Python acknowledges it. A component value is a single slot: two
 * values sent before a rerun reads them leave only the last, which is how a chart loses clicks. So every event
 * carries a nonce, the next one waits until a render echoes that nonce back (args.ack), and an event Python has
 * not acknowledged within `retryMs` is sent again (the wrapper drops repeats by nonce).
 */
export class Outbox {
  constructor(post = setComponentValue, retryMs = 4000) {
    this.post = post;
    this.retryMs = retryMs;
    this.boot = Math.random().toString(36).slice(2, 10);   // a reloaded frame never reuses an old nonce
    this.seq = 0;
    this.queue = [];
    this.timer = null;
    this.longest = 0;   // most events ever waiting at once (tests check that clicks outran reruns)
  }

  /** Queue an event; with `replace`, a queued (not yet sent) event of that kind is replaced instead. */
  push(event, replace = null) {
    const e = { ...event, nonce: `${this.boot}-${++this.seq}` };
    const i = replace ? this.queue.findIndex((q, k) => k > 0 && q._kind === replace) : -1;
    if (replace) e._kind = replace;
    if (i > 0) this.queue[i] = e; else this.queue.push(e);
    this.longest = Math.max(this.longest, this.queue.length);
    if (this.queue.length === 1) this.flush();
    return e.nonce;
  }

  /** A render arrived: if it acknowledges the event in flight, send the next one. */
  ack(nonce) {
    if (this.queue.length && this.queue[0].nonce === nonce) {
      this.queue.shift();
      this.flush();
    }
  }

  flush() {
    clearTimeout(this.timer);
    if (!this.queue.length) return;
    const { _kind, ...value } = this.queue[0];
    this.post(value);
    this.timer = setTimeout(() => this.flush(), this.retryMs);
  }
}
