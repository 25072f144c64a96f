// Plans: start a matching run, watch its progress, list every plan.

import { api, conf, problemText } from "./api.js";
import { $, fmtStamp, h, pct, say, show } from "./dom.js";
import { planName } from "./glossary.js";

const POLL_MS = 1000;

export const STATUS_LABEL = {
  queued: "Queued",
  running: "Running",
  ready: "Ready to review",
  published: "Published",
  superseded: "Superseded",
  failed: "Failed",
};

let poll = null;

async function load() {
  const plans = await api(conf("/plans"));
  const tbody = $("plan-table").tBodies[0];
  tbody.replaceChildren(
    ...plans.map((p) => {
      const sm = p.summary || {};
      return h(
        "tr",
        {},
        h("td", {}, h("span", { class: "plan-name" }, planName(p)), h("br"), h("span", { class: "muted small" }, fmtStamp(p.created_at))),
        h(
          "td",
          {},
          h("span", { class: `badge ${p.status}` }, STATUS_LABEL[p.status] || p.status),
          // A failed plan says why, where the organizer looks for it.
          p.status === "failed" ? h("p", { class: "error small failure" }, p.error || "The run failed without a reason.") : null,
        ),
        h("td", {}, p.version),
        h("td", {}, p.summary ? `${sm.coworker_pairs} (at least ${sm.coworker_pairs_min})` : ""),
        h("td", {}, p.summary ? (sm.repeated_pairs_min == null ? sm.repeated_pairs : `${sm.repeated_pairs} (at least ${sm.repeated_pairs_min})`) : ""),
        h("td", {}, p.summary ? pct(sm.kindred_share_min) : ""),
        h(
          "td",
          {},
          ["ready", "published", "superseded"].includes(p.status)
            ? h("a", { href: `#/review/${p.id}`, class: "button small" }, "Review")
            : "",
        ),
      );
    }),
  );
  if (!plans.length) tbody.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No plans yet.")));
  const active = plans.find((p) => p.status === "queued" || p.status === "running");
  if (active && !poll) watchPlan(active.id);
}

async function startPlan(event) {
  event.preventDefault();
  const body = { replan: $("plan-replan").checked };
  if ($("plan-seed").value !== "") body.seed = Number($("plan-seed").value);
  if ($("plan-budget").value !== "") body.time_budget = Number($("plan-budget").value);
  try {
    const plan = await api(conf("/plans"), { method: "POST", body });
    say($("plan-error"), "");
    watchPlan(plan.id);
    showWarnings(plan.warnings || []);
    await load();
  } catch (err) {
    say($("plan-error"), problemText(err));
  }
}

/** What the instant checks found odd but possible (the plan runs anyway). */
function showWarnings(warnings) {
  const list = $("plan-warnings");
  list.replaceChildren(...warnings.map((w) => h("li", {}, w.round ? `${w.round}: ${w.detail}` : w.detail)));
  show(list, warnings.length > 0);
}

export function stopPolling() {
  if (poll) clearTimeout(poll);
  poll = null;
}

function watchPlan(planId) {
  stopPolling();
  show($("plan-run"), true);
  say($("plan-failed"), "");
  show($("plan-review-link"), false);
  $("plan-start").disabled = true;
  const tick = async () => {
    let plan;
    try {
      plan = await api(conf(`/plans/${planId}`));
    } catch (err) {
      $("plan-start").disabled = false;
      say($("plan-failed"), err.message);
      poll = null;
      return;
    }
    $("plan-progress").value = plan.progress || 0;
    $("plan-status").textContent = `${STATUS_LABEL[plan.status] || plan.status} · ${Math.round((plan.progress || 0) * 100)} %`;
    $("plan-message").textContent = plan.message || "";
    if (plan.status === "queued" || plan.status === "running") {
      poll = setTimeout(tick, POLL_MS);
      return;
    }
    poll = null;
    $("plan-start").disabled = false;
    if (plan.status === "failed") {
      say($("plan-failed"), plan.error || "The run failed.");
    } else {
      $("plan-progress").value = 1;
      $("plan-review-link").href = `#/review/${plan.id}`;
      show($("plan-review-link"), true);
    }
    await load();
  };
  poll = setTimeout(tick, 0);
}

function init() {
  $("plan-form").addEventListener("submit", startPlan);
}

export const view = { name: "plans", init, load, leave: stopPolling };
