// Rounds: the meals, their times, places and table plans.

import { api, conf, problemText } from "./api.js";
import { $, fmtTime, h, say, show, toast } from "./dom.js";
import * as rules from "./rules.js";

async function load() {
  const rounds = await api(conf("/rounds"));
  const tbody = $("round-table").tBodies[0];
  tbody.replaceChildren(
    ...rounds.map((r) =>
      h(
        "tr",
        {},
        h("td", {}, r.name),
        h("td", {}, r.kind),
        h("td", {}, fmtTime(r.starts_at)),
        h("td", {}, r.location),
        h("td", {}, r.table_size ? `${r.table_size} per table` : (r.capacities || []).join(", ")),
        h(
          "td",
          {},
          h("button", { type: "button", class: "danger small", "aria-label": `Delete ${r.name}`, onclick: () => deleteRound(r) }, "Delete"),
        ),
      ),
    ),
  );
  if (!rounds.length) tbody.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No rounds yet.")));
  await rules.loadRules();
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
    await api(conf("/rounds"), { method: "POST", body });
    say($("round-error"), "");
    event.target.reset();
    tablePlanChanged();
    toast(`Added ${body.name}.`);
    await load();
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
