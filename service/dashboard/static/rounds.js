// Rounds: the meals, their times, places and table plans.

import { api, conf, problemText } from "./api.js";
import { $, fmtTime, h, say, show, toast } from "./dom.js";
import * as rules from "./rules.js";

let rounds = [];

async function load() {
  rounds = await api(conf("/rounds"));
  const tbody = $("round-table").tBodies[0];
  tbody.replaceChildren(...rounds.map(roundRow));
  if (!rounds.length) tbody.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No rounds yet.")));
  await rules.loadRules();
}

function tablePlan(r) {
  return r.table_size ? `${r.table_size} per table` : (r.capacities || []).join(", ");
}

function roundRow(r) {
  return h(
    "tr",
    { "data-round": r.id },
    h("td", {}, r.name),
    h("td", {}, r.kind),
    h("td", {}, fmtTime(r.starts_at)),
    h("td", {}, r.location),
    h("td", {}, tablePlan(r)),
    h(
      "td",
      { class: "nowrap" },
      h("button", { type: "button", class: "small", "aria-label": `Edit ${r.name}`, onclick: (e) => editRound(r, e.currentTarget.closest("tr")) }, "Edit"),
      " ",
      h("button", { type: "button", class: "danger small", "aria-label": `Delete ${r.name}`, onclick: () => deleteRound(r) }, "Delete"),
    ),
  );
}

/** Turn a round's row into a form in place; saving sends only what changed. */
function editRound(r, row) {
  const id = (part) => `round-${r.id}-${part}`;
  const field = (part, label, control) => h("td", {}, h("label", { for: id(part), class: "visually-hidden" }, `${label} of ${r.name}`), control);
  const name = h("input", { id: id("name"), value: r.name, maxlength: 100, required: true });
  const kind = h("select", { id: id("kind") }, ["lunch", "dinner"].map((k) => h("option", { value: k, selected: k === r.kind }, k)));
  const starts = h("input", { id: id("starts"), type: "datetime-local", value: r.starts_at ? r.starts_at.slice(0, 16) : "" });
  const place = h("input", { id: id("place"), value: r.location || "", maxlength: 200 });
  const tablesText = r.table_size ? String(r.table_size) : (r.capacities || []).join(", ");
  const tables = h("input", { id: id("tables"), value: tablesText, "aria-describedby": id("tables-help") });
  const error = h("p", { class: "error", id: id("error"), role: "alert", hidden: true });
  const warn = h("ul", { class: "warnings", hidden: true });
  const cancel = () => {
    const fresh = roundRow(r);
    form.replaceWith(fresh);
    fresh.querySelector(`[aria-label="Edit ${CSS.escape(r.name)}"]`)?.focus();
  };
  const save = async () => {
    const patch = {};
    if (name.value.trim() !== r.name) patch.name = name.value.trim();
    if (kind.value !== r.kind) patch.kind = kind.value;
    if (place.value.trim() !== (r.location || "")) patch.location = place.value.trim();
    const oldStarts = r.starts_at ? r.starts_at.slice(0, 16) : "";
    if (starts.value !== oldStarts) patch.starts_at = starts.value || null;
    if (tables.value.trim() !== tablesText) {
      const numbers = tables.value.split(/[\s,;]+/).filter(Boolean).map(Number);
      if (!numbers.length || numbers.some((n) => !Number.isInteger(n))) {
        say(error, "Tables: give the people per table (8) or each table's capacity (6, 6, 8).");
        tables.focus();
        return;
      }
      if (numbers.length === 1 && !/[,;]/.test(tables.value)) patch.table_size = numbers[0];
      else patch.capacities = numbers;
    }
    if (!Object.keys(patch).length) {
      cancel();
      return;
    }
    try {
      const saved = await api(conf(`/rounds/${r.id}`), { method: "PATCH", body: patch });
      toast(`Saved ${saved.name}.`);
      await load();
      showWarnings(saved.warnings || []);
      const again = $("round-table").querySelector(`tr[data-round="${r.id}"] button`);
      if (again) again.focus();
    } catch (err) {
      say(error, problemText(err));
      const pointer = ((err.problem.errors || [])[0] || {}).pointer || "";
      const fields = { name, kind, starts_at: starts, location: place, table_size: tables, capacities: tables };
      const culprit = pointer.split("/").map((part) => fields[part]).find(Boolean);
      (culprit || name).focus();
    }
  };
  const form = h(
    "tr",
    { "data-round": r.id, class: "editing" },
    field("name", "Name", name),
    field("kind", "Kind", kind),
    field("starts", "Starts", starts),
    field("place", "Place", place),
    h("td", {}, h("label", { for: id("tables"), class: "visually-hidden" }, `Tables of ${r.name}`), tables, h("p", { class: "muted small", id: id("tables-help") }, "People per table (8) or each table's capacity (6, 6, 8)")),
    h(
      "td",
      { class: "nowrap" },
      h("button", { type: "button", class: "small primary", onclick: save }, "Save"),
      " ",
      h("button", { type: "button", class: "small", onclick: cancel }, "Cancel"),
      error,
      warn,
    ),
  );
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") {
      event.preventDefault();
      save();
    } else if (event.key === "Escape") cancel();
  });
  row.replaceWith(form);
  name.focus();
}

/** What the instant checks say about the rounds just saved (they are saved all the same). */
function showWarnings(warnings) {
  const list = $("round-warnings");
  list.replaceChildren(...warnings.map((w) => h("li", {}, w.round ? `${w.round}: ${w.detail}` : w.detail)));
  show(list, warnings.length > 0);
}

async function deleteRound(r) {
  if (!confirm(`Delete the round “${r.name}”?`)) return;
  try {
    await api(conf(`/rounds/${r.id}`), { method: "DELETE" });
    toast(`Deleted ${r.name}.`);
    await load();
  } catch (err) {
    toast(problemText(err));
  }
}

function tablePlanChanged() {
  const bySize = document.querySelector('input[name="plan"]:checked').value === "size";
  show($("round-size-wrap"), bySize);
  show($("round-capacities-wrap"), !bySize);
}

async function addRound(event) {
  event.preventDefault();
  const body = {
    name: $("round-name").value.trim(),
    kind: $("round-kind").value,
    location: $("round-location").value.trim(),
  };
  if ($("round-starts").value) body.starts_at = $("round-starts").value; // read in the venue's zone
  if (document.querySelector('input[name="plan"]:checked').value === "size") {
    body.table_size = Number($("round-size").value);
  } else {
    body.capacities = $("round-capacities")
      .value.split(/[\s,;]+/)
      .filter(Boolean)
      .map(Number);
  }
  try {
    const saved = await api(conf("/rounds"), { method: "POST", body });
    say($("round-error"), "");
    event.target.reset();
    tablePlanChanged();
    toast(`Added ${body.name}.`);
    await load();
    showWarnings(saved.warnings || []);
  } catch (err) {
    say($("round-error"), problemText(err));
  }
}

function init() {
  $("round-form").addEventListener("submit", addRound);
  for (const radio of document.querySelectorAll('input[name="plan"]')) radio.addEventListener("change", tablePlanChanged);
  rules.init();
}

export const view = { name: "rounds", init, load };
