// Seating rules: people who sit together in every round, or never share a table.

import { api, conf, problemText } from "./api.js";
import { $, h, say, toast } from "./dom.js";

const RULE_LABEL = { keep_together: "Keep together", keep_apart: "Keep apart" };

export async function loadRules() {
  const rules = await api(conf("/rules"));
  const tbody = $("rule-table").tBodies[0];
  tbody.replaceChildren(
    ...rules.map((r) =>
      h(
        "tr",
        {},
        h("td", {}, RULE_LABEL[r.kind] || r.kind),
        h("td", {}, r.attendees.join(", ")),
        h("td", {}, r.note),
        h(
          "td",
          {},
          h("button", { type: "button", class: "danger small", "aria-label": `Delete the rule for ${r.attendees.join(", ")}`, onclick: () => deleteRule(r) }, "Delete"),
        ),
      ),
    ),
  );
  if (!rules.length) tbody.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No rules yet.")));
}

async function deleteRule(r) {
  if (!confirm(`Delete the rule for ${r.attendees.join(", ")}?`)) return;
  try {
    await api(conf(`/rules/${r.id}`), { method: "DELETE" });
    toast("Rule deleted.");
    await loadRules();
  } catch (err) {
    toast(problemText(err));
  }
}

async function addRule(event) {
  event.preventDefault();
  const body = {
    kind: $("rule-kind").value,
    attendees: $("rule-attendees").value.split(/[\s,;]+/).filter(Boolean),
    note: $("rule-note").value.trim(),
  };
  try {
    await api(conf("/rules"), { method: "POST", body });
    say($("rule-error"), "");
    event.target.reset();
    toast("Rule added.");
    await loadRules();
  } catch (err) {
    say($("rule-error"), problemText(err));
  }
}

/** The rules live on the Rounds page; it loads them with its rounds. */
export function init() {
  $("rule-form").addEventListener("submit", addRule);
}
