// Small SVG charts: no library, no network. Every series has a marker shape and a legend entry,
// so colour is never the only way to tell them apart.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return v => r0 + (v - d0) / span * (r1 - r0);
}

function ticks(lo, hi, n) {
  const step = (hi - lo) / n || 1;
  return Array.from({ length: n + 1 }, (_, i) => lo + i * step);
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
  if (a > 0 && a < 1) return v.toFixed(2);
  return String(Math.round(v * 100) / 100);
}

const MARKERS = {
  circle: (g, x, y, cls, title) => el("circle", { cx: x, cy: y, r: 3.5, class: cls }, g),
  square: (g, x, y, cls) => el("rect", { x: x - 3.5, y: y - 3.5, width: 7, height: 7, class: cls }, g),
  triangle: (g, x, y, cls) => el("path", { d: `M${x},${y - 4.5}L${x + 4.5},${y + 3.5}L${x - 4.5},${y + 3.5}Z`,
    class: cls }, g),
};

/**
 * Draws series of points in an SVG.
 * series: [{name, cls, color, marker, dash, line, points: [{x, y, title}]}]
 * options: {xLabel, yLabel, yMin, yMax, hLine: {y, label}, vLine: {x, label}, extraLines: [...]}
 */
function drawChart(svg, series, options) {
  svg.replaceChildren();
  const W = 520, H = 300, L = 52, R = 12, T = 12, B = 40;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const all = series.flatMap(s => s.points);
  if (all.length === 0) {
    el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, svg).textContent = options.empty || "no data yet";
    return;
  }
  let xs = all.map(p => p.x), ys = all.map(p => p.y);
  if (options.vLine) xs = xs.concat([options.vLine.x]);
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = options.yMin ?? Math.min(...ys), y1 = options.yMax ?? Math.max(...ys);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
  const sx = scale(x0, x1, L, W - R), sy = scale(y0, y1, H - B, T);
  const axis = el("g", { class: "axis" }, svg);
  el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B }, axis);
  el("line", { x1: L, y1: T, x2: L, y2: H - B }, axis);
  const integral = xs.every(Number.isInteger) && x1 - x0 <= 1000;
  const xTicks = integral ? [...new Set(ticks(x0, x1, Math.min(5, x1 - x0)).map(Math.round))] : ticks(x0, x1, 5);
  for (const t of xTicks) {
    el("line", { x1: sx(t), y1: H - B, x2: sx(t), y2: H - B + 4 }, axis);
    el("text", { x: sx(t), y: H - B + 15, "text-anchor": "middle" }, axis).textContent = fmt(t);
  }
  for (const t of ticks(y0, y1, 4)) {
    el("line", { x1: L - 4, y1: sy(t), x2: L, y2: sy(t) }, axis);
    el("text", { x: L - 6, y: sy(t) + 4, "text-anchor": "end" }, axis).textContent = fmt(t);
  }
  el("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }, axis).textContent = options.xLabel || "";
  el("text", { x: 12, y: (T + H - B) / 2, "text-anchor": "middle",
    transform: `rotate(-90 12 ${(T + H - B) / 2})` }, axis).textContent = options.yLabel || "";
  if (options.vLine) {
    const x = sx(options.vLine.x);
    el("line", { x1: x, y1: T, x2: x, y2: H - B, stroke: "#c62828", "stroke-dasharray": "6 3", class: "limit" }, svg);
    el("text", { x: x - 4, y: T + 10, "text-anchor": "end", fill: "#c62828" }, svg).textContent = options.vLine.label;
  }
  for (const s of series) {
    const g = el("g", { class: "series " + s.cls, fill: s.color, stroke: s.color }, svg);
    if (s.line && s.points.length > 1) {
      const d = s.points.map((p, i) => (i ? "L" : "M") + sx(p.x) + "," + sy(p.y)).join("");
      el("path", { d, fill: "none", "stroke-width": 1.8, "stroke-dasharray": s.dash || "" }, g);
    }
    for (const p of s.points) {
      const m = (MARKERS[s.marker] || MARKERS.circle)(g, sx(p.x), sy(p.y), "pt " + s.cls + (p.cls ? " " + p.cls : ""));
      if (p.title) el("title", {}, m).textContent = p.title;
    }
  }
}

function legend(div, series) {
  div.replaceChildren(...series.map(s => {
    const span = document.createElement("span");
    const shape = { circle: "●", square: "■", triangle: "▲", none: "" }[s.marker || "circle"];
    span.innerHTML = `<span style="color:${s.color}">${shape}${s.dash ? " ╌" : s.line ? " —" : ""}</span> `;
    span.append(s.name);
    return span;
  }));
}
