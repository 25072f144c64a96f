// The map of profiles: each person a dot placed by what their profile talks about, by table.

import { $, h, s } from "./dom.js";

export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
];

export function tableColour(table) {
  return PALETTE[(table - 1) % PALETTE.length];
}

export function renderMap(points) {
  const holder = $("map");
  if (!points.length) {
    holder.replaceChildren(h("p", { class: "muted" }, "No map for this round."));
    return;
  }
  const size = 320;
  const pad = 12;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (size - 2 * pad);
  const sy = (y) => size - pad - ((y - y0) / (y1 - y0 || 1)) * (size - 2 * pad);
  const svg = s("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": `Map of ${points.length} people coloured by table`, class: "scatter" });
  svg.append(s("rect", { x: 0, y: 0, width: size, height: size, class: "frame" }));
  for (const p of points) {
    const dot = s("circle", {
      cx: sx(p.x).toFixed(1),
      cy: sy(p.y).toFixed(1),
      r: 5,
      fill: tableColour(p.table),
      "data-table": p.table,
    });
    dot.append(s("title", {}, `${p.name} · Table ${p.table}`));
    svg.append(dot);
  }
  const tables = [...new Set(points.map((p) => p.table))].sort((a, b) => a - b);
  const legend = h(
    "ul",
    { class: "legend" },
    tables.map((t) => h("li", {}, h("span", { class: "swatch", style: `background:${tableColour(t)}` }), `Table ${t}`)),
  );
  holder.replaceChildren(svg, legend);
}

export function clearMap() {
  $("map").replaceChildren();
}
