// Review & publish: a plan's figures, each round's tables with their members, edits (move, swap,
// pin), publishing, exports and printable table cards.

import { api, conf, problemText } from "./api.js";
import { $, fmtStamp, h, num, pct, saveResponse, say, show, toast } from "./dom.js";
import { clearMap, renderMap, tableColour } from "./map.js";
import { STATUS_LABEL } from "./plans.js";

const FIGURES = [
  ["common_ground", "common ground", (v) => num(v)],
  ["diversity", "diversity", (v) => num(v)],
  ["kindred", "with a kindred mate", (v) => v],
  ["hometowns", "home towns", (v) => v],
  ["first_timers", "first-timers", (v) => v],
  ["solo", "solo", (v) => v],
];

// The plan under review (PlanDetail), its version for If-Match, the rounds, the round shown
// and the person picked for a swap.
let plan = null;
let etag = null;
let rounds = [];
let roundId = null;
let swapFrom = null;

async function load() {
  const wanted = location.hash.split("/")[2] || (plan && plan.id);
  const [plans, allRounds] = await Promise.all([api(conf("/plans")), api(conf("/rounds"))]);
  rounds = allRounds;
  const reviewable = plans.filter((p) => ["ready", "published", "superseded"].includes(p.status));
  show($("review-empty"), reviewable.length === 0);
  $("review-plan").replaceChildren(
    ...reviewable.map((p) =>
      h("option", { value: p.id }, `${fmtStamp(p.created_at)} · ${STATUS_LABEL[p.status]}`),
    ),
  );
  $("review-round").replaceChildren(...rounds.map((r) => h("option", { value: r.id }, r.name)));
  if (!reviewable.length) {
    $("review-tables").replaceChildren();
    $("review-summary").replaceChildren();
    clearMap();
    show($("publish"), false);
    return;
  }
  const chosen = reviewable.find((p) => p.id === wanted) || reviewable.find((p) => p.status !== "superseded") || reviewable[0];
  if (!rounds.some((r) => r.id === roundId)) roundId = rounds.length ? rounds[0].id : null;
  $("review-round").value = roundId || "";
  await openPlan(chosen.id);
}

async function openPlan(planId) {
  const response = await api(conf(`/plans/${planId}`), { raw: true });
  etag = response.headers.get("ETag");
  plan = await response.json();
  swapFrom = null;
  show($("swapbar"), false);
  show($("review-stale"), false);
  say($("review-error"), "");
  $("review-plan").value = planId;
  const status = $("review-status");
  status.className = `badge ${plan.status}`;
  status.textContent = STATUS_LABEL[plan.status] || plan.status;
  show($("publish"), plan.status === "ready");
  renderSummary();
  await renderRound();
}

function renderSummary() {
  const sm = (plan.report && plan.report.summary) || plan.summary || {};
  const items = [
    ["Kindred share (lowest round)", pct(sm.kindred_share_min)],
    ["Diversity ratio (lowest round)", num(sm.diversity_ratio_min)],
    ["Co-worker pairs", `${sm.coworker_pairs ?? "–"} · min ${sm.coworker_pairs_min ?? "–"}`],
    ["Repeated pairs", sm.repeated_pairs ?? "–"],
    ["Solo spread (largest)", sm.solo_spread_max ?? "–"],
    ["Hard-rule breaks", sm.hard_violations ?? "–"],
  ];
  $("review-summary").replaceChildren(
    ...items.map(([label, value]) => h("div", { class: "stat" }, h("dt", { class: "label" }, label), h("dd", { class: "value" }, value))),
  );
}

function renderRoundFigures() {
  const round = rounds.find((r) => r.id === roundId);
  const reported = (plan.report && plan.report.rounds) || [];
  const figures = round && reported.find((r) => r.name === round.name);
  const holder = $("review-round-figures");
  if (!figures) {
    holder.replaceChildren();
    return;
  }
  const v = figures.violations || {};
  const min = figures.minimum || {};
  const parts = [
    `${figures.seated} of ${figures.eligible} seated at ${figures.tables} tables`,
    `kindred share ${pct(figures.kindred_share)}`,
    `diversity ratio ${num(figures.diversity_ratio)}`,
    `co-worker pairs ${v.coworker_pairs ?? 0} (min ${min.coworker_pairs ?? 0})`,
    `repeated pairs ${v.repeated_pairs ?? 0}`,
    `solo spread ${figures.solo_spread ?? "–"}`,
  ];
  holder.replaceChildren(h("strong", {}, `${round.name}: `), parts.join(" · "));
}

async function renderRound() {
  renderRoundFigures();
  const holder = $("review-tables");
  if (!roundId) {
    holder.replaceChildren(h("p", { class: "muted" }, "This conference has no rounds."));
    clearMap();
    return;
  }
  const base = conf(`/plans/${plan.id}`);
  let tables;
  let map;
  try {
    [tables, map] = await Promise.all([
      api(`${base}/rounds/${roundId}/tables`),
      api(`${base}/map?round_id=${roundId}`).catch(() => ({ points: [] })),
    ]);
  } catch (err) {
    holder.replaceChildren(h("p", { class: "muted" }, err.message));
    clearMap();
    return;
  }
  // Only a ready plan takes edits; a published one changes through a re-plan.
  const editable = plan.status === "ready";
  show($("review-locked"), !editable);
  holder.replaceChildren(...tables.map((t) => tableCard(t, tables, editable)));
  renderMap(map.points || []);
}

function tableCard(t, tables, editable) {
  const figures = FIGURES.filter(([k]) => t.figures && t.figures[k] !== undefined && t.figures[k] !== null).map(
    ([k, label, fmt]) => h("span", { class: "figure" }, h("strong", {}, fmt(t.figures[k])), ` ${label}`),
  );
  return h(
    "article",
    { class: "table-card", "aria-labelledby": `table-${t.table}-title`, "data-table": t.table },
    h(
      "header",
      {},
      h("span", { class: "swatch", style: `background:${tableColour(t.table)}`, "aria-hidden": "true" }),
      h("h3", { id: `table-${t.table}-title` }, `Table ${t.table}`),
      h("span", { class: "muted" }, `${t.members.length} / ${t.capacity}`),
    ),
    t.topics.length ? h("p", { class: "topics" }, t.topics.map((w) => h("span", { class: "chip" }, w))) : null,
    figures.length ? h("p", { class: "figures" }, figures) : null,
    h("ul", { class: "members" }, t.members.map((m) => memberItem(m, t, tables, editable))),
  );
}

function memberItem(m, t, tables, editable) {
  const badges = [
    m.pinned ? h("span", { class: "badge pin", title: "Pinned to this table" }, "📌 pinned") : null,
    m.solo ? h("span", { class: "badge solo" }, "solo") : null,
    m.first_time ? h("span", { class: "badge first" }, "first-timer") : null,
  ];
  const li = h(
    "li",
    { class: "member", "data-attendee": m.external_id },
    h("div", { class: "who" }, h("span", { class: "name" }, m.name), badges),
    m.affiliation || m.hometown
      ? h("div", { class: "muted small" }, [m.affiliation, m.hometown].filter(Boolean).join(" · "))
      : null,
    m.why ? h("div", { class: "why" }, m.why) : null,
  );
  if (!editable) return li;
  const selectId = `move-${t.table}-${m.external_id}`;
  const target = h(
    "select",
    { id: selectId, "aria-label": `Move ${m.name} to table` },
    tables.filter((o) => o.table !== t.table).map((o) => h("option", { value: o.table }, `Table ${o.table}`)),
  );
  const swapButton =
    swapFrom && swapFrom.external_id !== m.external_id
      ? h("button", { type: "button", class: "small", "aria-label": `Swap ${m.name} with ${swapFrom.name}`, onclick: () => doSwap(m) }, `Swap with ${swapFrom.name}`)
      : h("button", { type: "button", class: "small", "aria-label": `Swap ${m.name} with…`, onclick: () => startSwap(m) }, "Swap…");
  li.append(
    h(
      "div",
      { class: "member-actions" },
      tables.length > 1
        ? [target, h("button", { type: "button", class: "small", "aria-label": `Move ${m.name}`, onclick: () => edit({ op: "move", attendee: m.external_id, table: Number(target.value) }) }, "Move")]
        : null,
      swapButton,
      h(
        "button",
        { type: "button", class: "small", "aria-label": `${m.pinned ? "Unpin" : "Pin"} ${m.name}`, onclick: () => edit({ op: "pin", attendee: m.external_id, pinned: !m.pinned }) },
        m.pinned ? "Unpin" : "Pin",
      ),
    ),
  );
  return li;
}

function startSwap(m) {
  swapFrom = m;
  $("swap-text").textContent = `Swapping ${m.name}: pick the person to swap with.`;
  show($("swapbar"), true);
  renderRound();
}

function cancelSwap() {
  swapFrom = null;
  show($("swapbar"), false);
  renderRound();
}

async function doSwap(m) {
  const a = swapFrom;
  swapFrom = null;
  show($("swapbar"), false);
  await edit({ op: "swap", a: a.external_id, b: m.external_id });
}

async function edit(change) {
  say($("review-error"), "");
  try {
    const response = await api(conf(`/plans/${plan.id}/edits`), {
      method: "POST",
      body: { ...change, round_id: roundId },
      headers: { "If-Match": etag || "" },
      raw: true,
    });
    etag = response.headers.get("ETag");
    await openPlan(plan.id);
    toast("Saved.");
  } catch (err) {
    if (err.status === 412) show($("review-stale"), true);
    else say($("review-error"), problemText(err));
  }
}

async function publish() {
  if (!confirm("Publish this plan? Attendees will see their tables.")) return;
  try {
    await api(conf(`/plans/${plan.id}/publish`), { method: "POST", headers: { "If-Match": etag || "" } });
    toast("Published.");
    await load();
  } catch (err) {
    if (err.status === 412) show($("review-stale"), true);
    else say($("review-error"), problemText(err));
  }
}

async function download(format) {
  try {
    const response = await api(conf(`/export?format=${format}`), { raw: true });
    await saveResponse(response, `plan.${format}`);
  } catch (err) {
    toast(err.status === 409 ? "Nothing is published yet: publish a plan first." : problemText(err));
  }
}

async function printCards() {
  if (!plan) return;
  try {
    const query = roundId ? `?round_id=${roundId}` : "";
    const response = await api(conf(`/plans/${plan.id}/cards${query}`), { raw: true });
    const html = await response.text();
    const frame = $("cards-frame");
    if (frame.dataset.url) URL.revokeObjectURL(frame.dataset.url);
    const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    frame.dataset.url = url;
    frame.src = url;
    $("cards-dialog").showModal();
  } catch (err) {
    toast(problemText(err));
  }
}

/** Forget the plan under review (another conference was chosen). */
export function reset() {
  plan = null;
  roundId = null;
}

function init() {
  $("review-plan").addEventListener("change", (event) => openPlan(event.target.value));
  $("review-round").addEventListener("change", (event) => {
    roundId = event.target.value;
    swapFrom = null;
    show($("swapbar"), false);
    renderRound();
  });
  $("review-reload").addEventListener("click", () => openPlan(plan.id));
  $("swap-cancel").addEventListener("click", cancelSwap);
  $("publish").addEventListener("click", publish);
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => download(button.dataset.export));
  }
  $("print-cards").addEventListener("click", printCards);
  $("cards-print").addEventListener("click", () => $("cards-frame").contentWindow.print());
  $("cards-close").addEventListener("click", () => $("cards-dialog").close());
}

export const view = { name: "review", init, load, reset };
