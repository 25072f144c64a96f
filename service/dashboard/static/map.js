// The map of profiles: each person a mark placed by what their profile talks about. Tables are
// told apart by colour and shape (16 colours × 4 shapes) and by name on hover and focus; the
// legend picks one table, which is highlighted on the map and among the table cards.

import { api } from "./api.js";
import { $, h, s } from "./dom.js";

export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
];
const SHAPES = ["circle", "square", "triangle", "diamond"];
const SIZE = 320;
const PAD = 12;

let points = [];
let picked = null;
let onSelect = () => {};
let request = 0;

export function tableColour(table) {
  return PALETTE[(table - 1) % PALETTE.length];
}

export function tableShape(table) {
  return SHAPES[Math.floor((table - 1) / PALETTE.length) % SHAPES.length];
}

/** The SVG mark of a table at (x, y): colour by table, shape by each run of 16 tables. */
function mark(table, x, y, r, attrs = {}) {
  const fill = tableColour(table);
  const shape = tableShape(table);
  if (shape === "circle") return s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r, fill, ...attrs });
  if (shape === "square") return s("rect", { x: (x - r).toFixed(1), y: (y - r).toFixed(1), width: 2 * r, height: 2 * r, fill, ...attrs });
  const pts =
    shape === "triangle"
      ? [[x, y - r * 1.2], [x + r * 1.1, y + r * 0.8], [x - r * 1.1, y + r * 0.8]]
      : [[x, y - r * 1.3], [x + r * 1.3, y], [x, y + r * 1.3], [x - r * 1.3, y]];
  return s("polygon", { points: pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" "), fill, ...attrs });
}

/** A small picture of a table's mark, for the legend and the table cards. */
export function marker(table) {
  return s("svg", { class: "marker", viewBox: "0 0 12 12", width: 12, height: 12, "aria-hidden": "true", focusable: "false" }, mark(table, 6, 6, 4.5));
}

/** Read a round's map from ``url`` and draw it; ``select`` is told when a table is picked. */
export async function load(url, { select }) {
  onSelect = select;
  picked = null;
  const mine = ++request;
  $("map").replaceChildren(h("p", { class: "muted" }, "Drawing the map…"));
  let body;
  try {
    body = await api(url);
  } catch (_) {
    body = { points: [] };
  }
  if (mine !== request) return;
  points = body.points || [];
  draw();
}

export function clear() {
  request += 1;
  points = [];
  $("map").replaceChildren();
}

/** Move people to the tables they now sit at (after an edit), without reading the map again. */
export function reseat(tables) {
  const at = new Map();
  for (const t of tables) for (const m of t.members) at.set(m.external_id, t.table);
  for (const p of points) if (at.has(p.external_id)) p.table = at.get(p.external_id);
  if (points.length) draw();
}

/** Highlight one table (null: none) on the map and in the legend. */
export function highlight(table) {
  picked = table;
  const svg = $("map").querySelector("svg.scatter");
  if (!svg) return;
  svg.classList.toggle("picking", picked !== null);
  for (const dot of svg.querySelectorAll("[data-table]")) {
    const on = Number(dot.dataset.table) === picked;
    dot.classList.toggle("picked", on);
    // Only the picked table's people take keyboard focus: a short tab order, names on focus.
    if (on) {
      dot.setAttribute("tabindex", "0");
      dot.setAttribute("role", "img");
      dot.setAttribute("aria-label", dot.dataset.label);
    } else {
      dot.removeAttribute("tabindex");
      dot.removeAttribute("role");
      dot.removeAttribute("aria-label");
    }
  }
  for (const button of $("map").querySelectorAll(".legend button")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.table) === picked));
  }
}

function caption(text) {
  const el = $("map-caption");
  if (el) el.textContent = text;
}

function draw() {
  const holder = $("map");
  if (!points.length) {
    holder.replaceChildren(h("p", { class: "muted" }, "No map for this round."));
    return;
  }
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => PAD + ((x - x0) / (x1 - x0 || 1)) * (SIZE - 2 * PAD);
  const sy = (y) => SIZE - PAD - ((y - y0) / (y1 - y0 || 1)) * (SIZE - 2 * PAD);
  const svg = s("svg", { viewBox: `0 0 ${SIZE} ${SIZE}`, role: "group", "aria-label": `Map of ${points.length} people by table`, class: "scatter" });
  svg.append(s("rect", { x: 0, y: 0, width: SIZE, height: SIZE, class: "frame" }));
  const radius = points.length > 500 ? 3 : 5;
  for (const p of points) {
    const label = `${p.name} · Table ${p.table}`;
    const dot = mark(p.table, sx(p.x), sy(p.y), radius, { "data-table": p.table, "data-label": label, class: "dot" });
    dot.append(s("title", {}, label));
    svg.append(dot);
  }
  const show = (event) => {
    const dot = event.target.closest("[data-label]");
    if (dot) caption(dot.dataset.label);
  };
  svg.addEventListener("pointerover", show);
  svg.addEventListener("focusin", show);
  const tables = [...new Set(points.map((p) => p.table))].sort((a, b) => a - b);
  const legend = h(
    "ul",
    { class: "legend", "aria-label": "Tables: pick one to highlight it" },
    tables.map((t) =>
      h(
        "li",
        {},
        h("button", { type: "button", class: "link", "data-table": t, "aria-pressed": "false", onclick: () => onSelect(t) }, marker(t), `Table ${t}`),
      ),
    ),
  );
  holder.replaceChildren(svg, legend);
  caption("Point at a mark, or pick a table and tab through its people, to see who it is.");
  highlight(picked);
}
