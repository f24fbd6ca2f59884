// Points with WebGL2: one draw call of gl.POINTS, colours from a 256x1 texture indexed by label (alpha 0 hides a
// class), premultiplied alpha blending. Points arrive in shuffled order, so no class always lies on top and the
// first `count` points are a fair sample when a frame must be cheap.

const VERTEX = `#version 300 es
in vec2 a_pos; in float a_label; in float a_sel;
uniform vec2 u_center; uniform float u_scale; uniform vec2 u_half; uniform float u_size; uniform float u_alpha;
uniform float u_dim; uniform sampler2D u_colors;
out vec4 v_color;
void main() {
  vec4 c = texelFetch(u_colors, ivec2(int(a_label), 0), 0);
  float a = u_alpha;
  vec3 rgb = c.rgb;
  if (u_dim > 0.5 && a_sel < 0.5) { a *= 0.25; rgb = mix(rgb, vec3(0.6), 0.6); }
  gl_Position = c.a == 0.0 ? vec4(2.0, 2.0, 2.0, 1.0) : vec4((a_pos - u_center) * u_scale / u_half, 0.0, 1.0);
  gl_PointSize = u_size;
  v_color = vec4(rgb * a, a);
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color; uniform float u_round; out vec4 o;
void main() {
  if (u_round > 0.5) { vec2 d = gl_PointCoord - 0.5; if (dot(d, d) > 0.25) discard; }
  o = v_color;
}`;

function shader(gl, type, source) {
  const s = gl.createShader(type);
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
  return s;
}

function program(gl) {
  const p = gl.createProgram();
  gl.attachShader(p, shader(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(p, shader(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
  return p;
}

function attribute(gl, prog, name, size, type) {
  const buffer = gl.createBuffer(), loc = gl.getAttribLocation(prog, name);
  gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
  gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, size, type, false, 0, 0);
  return (data) => {
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
  };
}

/** A WebGL2 point renderer on `canvas`, or null where WebGL2 is unavailable. */
export function createGL(canvas) {
  let gl = null;
  try {
    gl = canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: true, alpha: true, depth: false });
  } catch (e) {
    gl = null;
  }
  if (!gl) return null;
  const prog = program(gl);
  gl.useProgram(prog);
  const vao = gl.createVertexArray();
  gl.bindVertexArray(vao);
  const setPos = attribute(gl, prog, "a_pos", 2, gl.FLOAT);
  const setLab = attribute(gl, prog, "a_label", 1, gl.UNSIGNED_BYTE);
  const setSel = attribute(gl, prog, "a_sel", 1, gl.UNSIGNED_BYTE);
  const u = (name) => gl.getUniformLocation(prog, name);
  const tex = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, tex);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  gl.uniform1i(u("u_colors"), 0);
  gl.enable(gl.BLEND);
  gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  let n = 0;
  return {
    kind: "WebGL",
    setPoints(pos, lab) {
      n = lab.length;
      setPos(pos);
      setLab(lab);
      setSel(new Uint8Array(n));
    },
    setSelected(sel) {
      setSel(sel);
    },
    setColors(rgba) {
      gl.bindTexture(gl.TEXTURE_2D, tex);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 256, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    },
    draw(view, { size, alpha, count, dpr, dim }) {
      gl.viewport(0, 0, canvas.width, canvas.height);
      gl.clearColor(0, 0, 0, 0);
      gl.clear(gl.COLOR_BUFFER_BIT);
      gl.uniform2f(u("u_center"), view.cx, view.cy);
      gl.uniform1f(u("u_scale"), view.scale);
      gl.uniform2f(u("u_half"), view.width / 2, view.height / 2);
      gl.uniform1f(u("u_size"), size * dpr);
      gl.uniform1f(u("u_alpha"), alpha);
      gl.uniform1f(u("u_dim"), dim ? 1 : 0);
      gl.uniform1f(u("u_round"), size * dpr >= 3 ? 1 : 0);
      gl.drawArrays(gl.POINTS, 0, Math.min(n, count));
    },
  };
}
