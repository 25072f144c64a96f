// Review & publish: a plan's figures and each round's tables, page by page (cards or a compact
// list), a finder that jumps to anyone's table in any round, edits (move, swap, pin) that
// redraw only the tables they touched, publishing, exports and printable table cards.

import { api, conf, problemText } from "./api.js";
import { $, h, num, pct, saveResponse, say, show, toast } from "./dom.js";
import { figureLabel, planName } from "./glossary.js";
import * as map from "./map.js";
import { STATUS_LABEL } from "./plans.js";
import { confirmPublish, showMoves } from "./publish.js";

// Tables drawn at once: a page of the round, so 2,000 people open as fast as 150.
const PAGE_TABLES = 20;
const FOUND_LIMIT = 20;

const TABLE_FIGURES = ["common_ground", "diversity", "kindred", "hometowns", "first_timers", "solo"];

// The plan under review (PlanOut, then PlanDetail once its report is read), its version for
// If-Match, the conference's rounds and the round shown with its tables.
let plan = null;
let etag = null;
let rounds = [];
let roundId = null;
let tables = [];
let page = 0;
let layout = "cards";
let swapFrom = null;
let selected = null; // the table picked in the map or the finder
// Tables of every round read for the finder, by round id; dropped when the plan changes.
let roundCache = new Map();
// Names of everyone seen, by external id: messages name people, not registration numbers.
const names = new Map();

// ---- reading ----------------------------------------------------------------------------------

async function load() {
  const wanted = location.hash.split("/")[2] || (plan && plan.id);
  const [plans, allRounds] = await Promise.all([api(conf("/plans")), api(conf("/rounds"))]);
  rounds = allRounds;
  const reviewable = plans.filter((p) => ["ready", "published", "superseded"].includes(p.status));
  show($("review-empty"), reviewable.length === 0);
  $("review-plan").replaceChildren(
    ...reviewable.map((p) => h("option", { value: p.id }, `${planName(p)} · ${STATUS_LABEL[p.status]}`)),
  );
  $("review-round").replaceChildren(...rounds.map((r) => h("option", { value: r.id }, r.name)));
  if (!reviewable.length) {
    plan = null;
    $("review-tables").replaceChildren();
    $("review-summary").replaceChildren();
    $("review-round-figures").replaceChildren();
    show($("review-pager"), false);
    map.clear();
    show($("publish"), false);
    return;
  }
  const chosen = reviewable.find((p) => p.id === wanted) || reviewable.find((p) => p.status !== "superseded") || reviewable[0];
  if (!rounds.some((r) => r.id === roundId)) roundId = rounds.length ? rounds[0].id : null;
  $("review-round").value = roundId || "";
  await openPlan(chosen.id, chosen);
}

/** Show a plan: from its list entry when given (no report to wait for), else read it. */
async function openPlan(planId, listed = null) {
  if (listed) {
    plan = listed;
    etag = `"${listed.version}"`;
  } else {
    const response = await api(conf(`/plans/${planId}`), { raw: true });
    etag = response.headers.get("ETag");
    plan = await response.json();
  }
  roundCache = new Map();
  swapFrom = null;
  selected = null;
  page = 0;
  show($("swapbar"), false);
  show($("review-stale"), false);
  say($("review-error"), "");
  $("review-plan").value = planId;
  showName();
  const status = $("review-status");
  status.className = `badge ${plan.status}`;
  status.textContent = STATUS_LABEL[plan.status] || plan.status;
  show($("publish"), plan.status === "ready");
  document.dispatchEvent(new CustomEvent("hallway:plan", { detail: plan }));
  renderSummary();
  await showRound();
  if (!plan.report) readReport(planId);
  showMoves(plan, $("review-round-figures"));
}

/** The full report (round figures) read after the tables are on screen. */
async function readReport(planId) {
  try {
    const response = await api(conf(`/plans/${planId}`), { raw: true });
    const detail = await response.json();
    if (!plan || plan.id !== planId || detail.version !== plan.version) return;
    plan = detail;
    etag = response.headers.get("ETag") || etag;
    renderSummary();
    renderRoundFigures();
  } catch (err) {
    if (err.status !== 401) say($("review-error"), problemText(err));
  }
}

function remember(list) {
  for (const t of list) for (const m of t.members) names.set(m.external_id, m.name);
}

async function roundTables(id) {
  if (id === roundId && tables.length) return tables;
  if (!roundCache.has(id)) {
    const list = await api(conf(`/plans/${plan.id}/rounds/${id}/tables`));
    remember(list);
    roundCache.set(id, list);
  }
  return roundCache.get(id);
}

async function showRound() {
  renderRoundFigures();
  const holder = $("review-tables");
  tables = [];
  if (!roundId) {
    holder.replaceChildren(h("p", { class: "muted" }, "This conference has no rounds."));
    show($("review-pager"), false);
    map.clear();
    return;
  }
  const planId = plan.id;
  const round = rounds.find((r) => r.id === roundId);
  // The previous round's tables go at once: no control may act on a round no longer shown.
  holder.replaceChildren(h("p", { class: "muted", role: "status" }, `Reading the tables of ${round ? round.name : "this round"}…`));
  show($("review-pager"), false);
  try {
    tables = await api(conf(`/plans/${planId}/rounds/${roundId}/tables`));
  } catch (err) {
    holder.replaceChildren(h("p", { class: "muted" }, err.message));
    map.clear();
    return;
  }
  remember(tables);
  roundCache.set(roundId, tables);
  show($("review-locked"), !editable());
  page = Math.min(page, Math.max(0, pageCount() - 1));
  renderPage();
  performance.mark("hallway:review-ready");
  map.load(conf(`/plans/${planId}/map?round_id=${roundId}`), { select: selectTable });
  runFinder();
}

// ---- figures ------------------------------------------------------------------------------

function renderSummary() {
  const sm = (plan.report && plan.report.summary) || plan.summary || {};
  const items = [
    ["kindred_share_min", pct(sm.kindred_share_min)],
    ["diversity_ratio_min", num(sm.diversity_ratio_min)],
    ["coworker_pairs", `${sm.coworker_pairs ?? "–"} · at least ${sm.coworker_pairs_min ?? "–"}`],
    ["repeated_pairs", sm.repeated_pairs_min == null ? (sm.repeated_pairs ?? "–") : `${sm.repeated_pairs} · at least ${sm.repeated_pairs_min}`],
    ["solo_spread_max", sm.solo_spread_max ?? "–"],
    ["hard_violations", sm.hard_violations ?? "–"],
    ["version", plan.version],
  ];
  $("review-summary").replaceChildren(
    ...items.map(([k, value]) => h("div", { class: "stat" }, h("dt", { class: "label" }, figureLabel(k)), h("dd", { class: "value" }, value))),
  );
}

function renderRoundFigures() {
  const round = rounds.find((r) => r.id === roundId);
  const reported = (plan && plan.report && plan.report.rounds) || [];
  const figures = round && reported.find((r) => r.name === round.name);
  const holder = $("review-round-figures");
  if (!figures) {
    holder.replaceChildren();
    return;
  }
  const v = figures.violations || {};
  const min = figures.minimum || {};
  holder.replaceChildren(
    h("strong", {}, `${round.name}: `),
    `${figures.seated} of ${figures.eligible} seated at ${figures.tables} tables`,
    " · ", figureLabel("kindred_share", true), ` ${pct(figures.kindred_share)}`,
    " · ", figureLabel("diversity_ratio", true), ` ${num(figures.diversity_ratio)}`,
    " · ", figureLabel("coworker_pairs", true), ` ${v.coworker_pairs ?? 0} (at least ${min.coworker_pairs ?? 0})`,
    " · ", figureLabel("repeated_pairs", true), ` ${v.repeated_pairs ?? 0}`,
    " · ", figureLabel("solo_spread", true), ` ${figures.solo_spread ?? "–"}`,
  );
}

// ---- pages of tables ----------------------------------------------------------------------

function editable() {
  // Only a ready plan takes edits; a published one changes through a re-plan.
  return Boolean(plan) && plan.status === "ready";
}

function pageCount() {
  return Math.ceil(tables.length / PAGE_TABLES);
}

function pageTables() {
  return tables.slice(page * PAGE_TABLES, (page + 1) * PAGE_TABLES);
}

function renderPage() {
  const shown = pageTables();
  const pages = pageCount();
  show($("review-pager"), pages > 1);
  if (shown.length) {
    $("review-page-info").textContent =
      `Tables ${shown[0].table}–${shown[shown.length - 1].table} of ${tables.length} · page ${page + 1} of ${pages}`;
  }
  $("review-prev").disabled = page === 0;
  $("review-next").disabled = page >= pages - 1;
  const options = moveOptions();
  const holder = $("review-tables");
  holder.classList.toggle("list", layout === "list");
  if (layout === "list") {
    holder.replaceChildren(listView(shown, options));
  } else {
    holder.replaceChildren(...shown.map((t) => tableCard(t, options)));
  }
  markSelected();
}

function goToPage(n) {
  page = Math.max(0, Math.min(n, pageCount() - 1));
  renderPage();
}

// Up to this many tables, "move to" is a list to pick from; beyond it, a table number to type
// (a list of 250 tables is no help, and 160 of them on a page slow the page down).
const PICK_LIMIT = 30;

/** One select of every table, cloned for each person: cheaper than building each one. */
function moveOptions() {
  if (tables.length > PICK_LIMIT) return null;
  return h("select", {}, tables.map((o) => h("option", { value: o.table }, `Table ${o.table}`)));
}

function moveTarget(m, t, options) {
  let target;
  if (options) {
    target = options.cloneNode(true);
    const own = target.querySelector(`option[value="${t.table}"]`);
    if (own) own.remove();
  } else {
    target = h("input", { type: "number", min: 1, max: tables.length, step: 1, inputmode: "numeric", class: "table-number", placeholder: "table" });
  }
  target.id = `move-${t.table}-${m.external_id}`;
  target.setAttribute("aria-label", `Move ${m.name} to table`);
  target.dataset.focus = `target:${m.external_id}`;
  return target;
}

function figureLine(t) {
  const parts = TABLE_FIGURES.filter((k) => t.figures && t.figures[k] !== undefined && t.figures[k] !== null).map((k) => {
    const v = t.figures[k];
    const value = k === "common_ground" || k === "diversity" ? num(v) : v;
    return h("span", { class: "figure" }, h("strong", {}, value), " ", figureLabel(`table_${k}`, true));
  });
  return parts.length ? h("p", { class: "figures" }, parts) : null;
}

function tableCard(t, options) {
  return h(
    "article",
    { class: "table-card", "aria-labelledby": `table-${t.table}-title`, "data-table": t.table, tabindex: "-1" },
    h(
      "header",
      {},
      map.marker(t.table),
      h("h3", { id: `table-${t.table}-title` }, h("button", { type: "button", class: "link table-pick", "aria-pressed": String(selected === t.table), onclick: () => selectTable(t.table) }, `Table ${t.table}`)),
      h("span", { class: "muted" }, `${t.members.length} / ${t.capacity}`),
    ),
    t.topics.length ? h("p", { class: "topics" }, t.topics.map((w) => h("span", { class: "chip" }, w))) : null,
    figureLine(t),
    h("ul", { class: "members" }, t.members.map((m) => memberItem(m, t, options))),
  );
}

function badges(m) {
  return [
    m.pinned ? h("span", { class: "badge pin", title: "Pinned to this table" }, "📌 pinned") : null,
    m.solo ? h("span", { class: "badge solo" }, "solo") : null,
    m.first_time ? h("span", { class: "badge first" }, "first-timer") : null,
  ];
}

function memberItem(m, t, options) {
  const li = h(
    "li",
    { class: "member", "data-attendee": m.external_id, "data-table": t.table, tabindex: "-1" },
    h("div", { class: "who" }, h("span", { class: "name" }, m.name), badges(m)),
    m.affiliation || m.hometown
      ? h("div", { class: "muted small" }, [m.affiliation, m.hometown].filter(Boolean).join(" · "))
      : null,
    m.why ? h("div", { class: "why" }, m.why) : null,
  );
  if (editable()) li.append(h("div", { class: "member-actions" }, memberActions(m, t, options)));
  li.append(errorSlot(m));
  return li;
}

function listView(shown, options) {
  const rows = shown.flatMap((t) =>
    t.members.map((m) =>
      h(
        "tr",
        { class: "member", "data-attendee": m.external_id, "data-table": t.table, tabindex: "-1" },
        h("td", {}, `Table ${t.table}`),
        h("th", { scope: "row" }, h("span", { class: "name" }, m.name), " ", badges(m)),
        h("td", {}, m.affiliation),
        h("td", {}, m.hometown),
        h("td", {}, editable() ? h("div", { class: "member-actions" }, memberActions(m, t, options)) : null, errorSlot(m)),
      ),
    ),
  );
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      { class: "compact", id: "review-list" },
      h("caption", { class: "visually-hidden" }, "People and their tables"),
      h("thead", {}, h("tr", {}, ["Table", "Name", "Affiliation", "Home town", "Changes"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows),
    ),
  );
}

function errorSlot(m) {
  return h("p", { class: "error row-error", id: `error-${cssId(m.external_id)}`, role: "alert", hidden: true });
}

function cssId(value) {
  return value.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0)}`);
}

function memberActions(m, t, options) {
  const parts = [];
  if (tables.length > 1) {
    const target = moveTarget(m, t, options);
    const move = (e) => {
      const table = Number(target.value);
      if (!Number.isInteger(table) || table < 1 || table > tables.length) {
        clearRowErrors();
        rowError(m.external_id, `target:${m.external_id}`, `Give a table from 1 to ${tables.length} to move ${m.name} to.`);
        target.focus();
        return;
      }
      edit({ op: "move", attendee: m.external_id, table }, e.currentTarget);
    };
    parts.push(
      target,
      h("button", { type: "button", class: "small", "aria-label": `Move ${m.name}`, "data-focus": `move:${m.external_id}`, onclick: move }, "Move"),
    );
  }
  const swap = h("button", { type: "button", class: "small", "data-swap": m.external_id, "data-name": m.name, "data-focus": `swap:${m.external_id}`, onclick: (e) => swapClicked(m, e.currentTarget) });
  swapLabel(swap);
  parts.push(
    swap,
    h(
      "button",
      { type: "button", class: "small", "aria-label": `${m.pinned ? "Unpin" : "Pin"} ${m.name}`, "data-focus": `pin:${m.external_id}`, onclick: (e) => edit({ op: "pin", attendee: m.external_id, pinned: !m.pinned }, e.currentTarget) },
      m.pinned ? "Unpin" : "Pin",
    ),
  );
  return parts;
}

// ---- swaps ----------------------------------------------------------------------------------

function swapLabel(button) {
  const id = button.dataset.swap;
  const name = button.dataset.name;
  if (swapFrom && swapFrom.external_id !== id) {
    button.textContent = `Swap with ${swapFrom.name}`;
    button.setAttribute("aria-label", `Swap with ${swapFrom.name}: ${name}`);
  } else {
    button.textContent = "Swap…";
    button.setAttribute("aria-label", `Swap ${name} with…`);
  }
}

/** Relabel every swap button in place: focus and the rest of the page stay as they are. */
function refreshSwapButtons() {
  for (const button of $("review-tables").querySelectorAll("[data-swap]")) swapLabel(button);
}

function swapClicked(m, button) {
  if (swapFrom && swapFrom.external_id !== m.external_id) doSwap(m, button);
  else startSwap(m);
}

function startSwap(m) {
  swapFrom = m;
  $("swap-text").textContent = `Swapping ${m.name}: pick the person to swap with.`;
  show($("swapbar"), true);
  refreshSwapButtons();
}

function endSwap() {
  swapFrom = null;
  show($("swapbar"), false);
  refreshSwapButtons();
}

async function doSwap(m, button) {
  const a = swapFrom;
  endSwap();
  if (!a) return;
  await edit({ op: "swap", a: a.external_id, b: m.external_id }, button);
}

// ---- edits ----------------------------------------------------------------------------------

/** Replace registration numbers in a server message by the people's names. */
function withNames(text) {
  return text.replace(/[\w.@+-]+/g, (token) => {
    const name = names.get(token);
    if (name === undefined || (/^\d+$/.test(token) && token.length < 4)) return token;
    return name;
  });
}

function clearRowErrors() {
  for (const el of $("review-tables").querySelectorAll(".row-error:not([hidden])")) {
    el.hidden = true;
    el.textContent = "";
  }
  for (const el of $("review-tables").querySelectorAll("[aria-describedby^='error-']")) el.removeAttribute("aria-describedby");
}

function rowError(attendee, focusKey, text) {
  const row = $("review-tables").querySelector(`.member[data-attendee="${CSS.escape(attendee)}"]`);
  if (!row) return;
  const slot = row.querySelector(".row-error");
  say(slot, text);
  const control = focusKey && row.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
  if (control) control.setAttribute("aria-describedby", slot.id);
}

function focusAfter(focusKey, attendee) {
  const holder = $("review-tables");
  const control = focusKey && holder.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
  if (control) {
    control.focus();
    return;
  }
  // The person moved to a table on another page: follow them there.
  const table = tables.find((t) => t.members.some((m) => m.external_id === attendee));
  if (table) {
    showTable(table.table, attendee);
    const again = holder.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
  }
}

function describe(change, before) {
  const name = (id) => names.get(id) || id;
  const tableOf = (list, id) => (list.find((t) => t.members.some((m) => m.external_id === id)) || {}).table;
  if (change.op === "move") return `Moved ${name(change.attendee)} from table ${tableOf(before, change.attendee)} to table ${change.table}.`;
  if (change.op === "swap") return `Swapped ${name(change.a)} (now table ${tableOf(tables, change.a)}) and ${name(change.b)} (now table ${tableOf(tables, change.b)}).`;
  return change.pinned ? `Pinned ${name(change.attendee)} to table ${tableOf(tables, change.attendee)}.` : `Unpinned ${name(change.attendee)}.`;
}

/** What was refused, naming the people: the server's reason follows. */
function refused(change) {
  const name = (id) => names.get(id) || id;
  if (change.op === "move") return `${name(change.attendee)} was not moved to table ${change.table}:`;
  if (change.op === "swap") return `${name(change.a)} and ${name(change.b)} were not swapped:`;
  return `${name(change.attendee)} was not ${change.pinned ? "pinned" : "unpinned"}:`;
}

async function edit(change, control) {
  const attendee = change.op === "swap" ? change.b : change.attendee;
  const focusKey = control ? control.dataset.focus : null;
  say($("review-error"), "");
  clearRowErrors();
  const started = performance.now();
  const touched = touchedBy(change);
  try {
    const response = await api(conf(`/plans/${plan.id}/edits`), {
      method: "POST",
      body: { ...change, round_id: roundId },
      headers: { "If-Match": etag || "" },
      raw: true,
    });
    const updated = await response.json();
    etag = response.headers.get("ETag");
    plan = { ...plan, ...updated, report: null };
    const before = tables;
    tables = await reread(before, touched);
    remember(tables);
    roundCache = new Map([[roundId, tables]]);
    redrawTouched(before);
    focusAfter(focusKey, attendee);
    const said = describe(change, before);
    $("review-announce").textContent = said;
    performance.measure("hallway:edit", { start: started });
    toast(`Saved. ${said}`);
    renderSummary();
    map.reseat(tables);
    runFinder();
    readReport(plan.id);
  } catch (err) {
    if (err.status === 412) {
      show($("review-stale"), true);
      return;
    }
    const text = `${refused(change)} ${withNames(problemText(err))}`;
    say($("review-error"), text);
    rowError(attendee, focusKey, text);
    if (control && document.activeElement !== control && control.isConnected) control.focus();
  }
}

/** The tables an edit changes: where its people sit now and where a move sends them. */
function touchedBy(change) {
  const tableOf = (id) => (tables.find((t) => t.members.some((m) => m.external_id === id)) || {}).table;
  const numbers =
    change.op === "move" ? [tableOf(change.attendee), change.table]
    : change.op === "swap" ? [tableOf(change.a), tableOf(change.b)]
    : [tableOf(change.attendee)];
  return numbers.every(Number.isInteger) ? [...new Set(numbers)] : null;
}

/** The round after an edit: only the touched tables are read again (the whole round when they
 *  are not known), the rest are kept as they were. */
async function reread(before, touched) {
  const path = `/plans/${plan.id}/rounds/${roundId}/tables`;
  if (!touched) return api(conf(path));
  const fresh = new Map((await api(conf(`${path}?tables=${touched.join(",")}`))).map((t) => [t.table, t]));
  return before.map((t) => fresh.get(t.table) || t);
}

/** Redraw only the tables the edit touched (whose people or pins changed); keep every other node. */
function redrawTouched(before) {
  const seats = (t) => t.members.map((m) => `${m.external_id}${m.pinned ? "*" : ""}`).join(",");
  const old = new Map(before.map((t) => [t.table, seats(t)]));
  const shown = new Set(pageTables().map((t) => t.table));
  const touched = tables.filter((t) => shown.has(t.table) && old.get(t.table) !== seats(t));
  if (!touched.length) return;
  if (layout === "list") {
    renderPage();
    return;
  }
  const options = moveOptions();
  for (const t of touched) {
    const card = $("review-tables").querySelector(`.table-card[data-table="${t.table}"]`);
    if (card) card.replaceWith(tableCard(t, options));
  }
  markSelected();
}

// ---- finding people and tables ----------------------------------------------------------------

function selectTable(number) {
  selected = selected === number ? null : number;
  if (selected !== null) showTable(selected);
  markSelected();
  map.highlight(selected);
}

function markSelected() {
  for (const button of $("review-tables").querySelectorAll(".table-pick")) {
    const n = Number(button.closest("[data-table]").dataset.table);
    button.setAttribute("aria-pressed", String(n === selected));
    button.closest(".table-card").classList.toggle("selected", n === selected);
  }
}

/** Bring a table onto the page and into view; mark a person at it when given. */
function showTable(number, attendee = null) {
  const index = tables.findIndex((t) => t.table === number);
  if (index < 0) return;
  const wanted = Math.floor(index / PAGE_TABLES);
  if (wanted !== page) goToPage(wanted);
  const holder = $("review-tables");
  for (const el of holder.querySelectorAll(".member.found")) el.classList.remove("found");
  const target = attendee
    ? holder.querySelector(`.member[data-attendee="${CSS.escape(attendee)}"]`)
    : holder.querySelector(`[data-table="${number}"]`);
  if (!target) return;
  if (attendee) target.classList.add("found");
  target.scrollIntoView({ block: "center" });
}

async function jump(person, round) {
  if (round !== roundId) {
    roundId = round;
    $("review-round").value = round;
    page = 0;
    await showRound();
  }
  const table = tables.find((t) => t.members.some((m) => m.external_id === person));
  if (!table) return;
  selected = table.table;
  showTable(table.table, person);
  markSelected();
  map.highlight(selected);
  const row = $("review-tables").querySelector(`.member[data-attendee="${CSS.escape(person)}"]`);
  if (row) row.focus();
}

let finderLoading = null;

async function everyRound() {
  if (!finderLoading) {
    const planId = plan.id;
    finderLoading = Promise.all(rounds.map((r) => roundTables(r.id).catch(() => []))).finally(() => {
      if (plan && plan.id === planId) finderLoading = null;
    });
  }
  await finderLoading;
}

async function runFinder() {
  const query = $("review-find-q").value.trim().toLowerCase();
  const list = $("review-find-results");
  if (!query || !plan) {
    list.replaceChildren();
    say($("review-find-count"), "");
    return;
  }
  await everyRound();
  const seats = new Map(); // external id -> {member, rounds: [[round, table]]}
  for (const r of rounds) {
    for (const t of roundCache.get(r.id) || []) {
      for (const m of t.members) {
        if (!seats.has(m.external_id)) seats.set(m.external_id, { m, at: [] });
        seats.get(m.external_id).at.push([r, t.table]);
      }
    }
  }
  const matches = [...seats.values()].filter(({ m }) =>
    `${m.name}\n${m.affiliation}\n${m.external_id}`.toLowerCase().includes(query),
  );
  say($("review-find-count"), `${matches.length} ${matches.length === 1 ? "person matches" : "people match"}.`);
  list.replaceChildren(
    ...matches.slice(0, FOUND_LIMIT).map(({ m, at }) =>
      h(
        "li",
        {},
        h("span", { class: "name" }, m.name),
        h("span", { class: "muted small" }, ` ${[m.affiliation, m.external_id].filter(Boolean).join(" · ")} `),
        at.map(([r, table]) =>
          h("button", { type: "button", class: "small", "aria-label": `${r.name}: table ${table}, where ${m.name} sits`, onclick: () => jump(m.external_id, r.id) }, `${r.name}: table ${table}`),
        ),
      ),
    ),
  );
}

// ---- publish, exports, cards --------------------------------------------------------------------

async function publish() {
  let version;
  try {
    version = await confirmPublish(plan);
  } catch (err) {
    if (err.status !== 401) say($("review-error"), withNames(problemText(err)));
    return;
  }
  if (version === null) {
    $("publish").focus();
    return;
  }
  try {
    await api(conf(`/plans/${plan.id}/publish`), { method: "POST", headers: { "If-Match": `"${version}"` } });
    toast("Published.");
    await load();
  } catch (err) {
    if (err.status === 412) show($("review-stale"), true);
    else say($("review-error"), withNames(problemText(err)));
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

// ---- the plan's name ---------------------------------------------------------------------------

function showName() {
  $("review-plan-name").textContent = planName(plan);
  show($("review-rename"), "name" in plan);
  show($("review-rename-form"), false);
  say($("review-rename-error"), "");
}

function startRename() {
  $("review-name").value = plan.name || "";
  show($("review-rename"), false);
  show($("review-rename-form"), true);
  $("review-name").focus();
}

function cancelRename() {
  showName();
  $("review-rename").focus();
}

async function rename(event) {
  event.preventDefault();
  const name = $("review-name").value.trim();
  try {
    const updated = await api(conf(`/plans/${plan.id}`), { method: "PATCH", body: { name } });
    plan = { ...plan, name: updated.name };
    const option = $("review-plan").querySelector(`option[value="${plan.id}"]`);
    if (option) option.textContent = `${planName(plan)} · ${STATUS_LABEL[plan.status]}`;
    showName();
    $("review-rename").focus();
    toast(`Plan renamed to “${updated.name}”.`);
  } catch (err) {
    say($("review-rename-error"), problemText(err));
    $("review-name").focus();
  }
}

/** Forget the plan under review (another conference was chosen). */
function reset() {
  plan = null;
  roundId = null;
  tables = [];
  roundCache = new Map();
  names.clear();
}

/** The plan under review and its If-Match, for the plan's name editor. */
export function current() {
  return { plan, etag };
}

function setLayout(value) {
  layout = value;
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.setAttribute("aria-pressed", String(button.dataset.layout === value));
  }
  if (plan) renderPage();
}

function init() {
  $("review-plan").addEventListener("change", (event) => openPlan(event.target.value));
  $("review-round").addEventListener("change", (event) => {
    roundId = event.target.value;
    page = 0;
    selected = null;
    endSwap();
    showRound();
  });
  $("review-reload").addEventListener("click", () => openPlan(plan.id));
  $("review-rename").addEventListener("click", startRename);
  $("review-rename-cancel").addEventListener("click", cancelRename);
  $("review-rename-form").addEventListener("submit", rename);
  $("swap-cancel").addEventListener("click", endSwap);
  $("publish").addEventListener("click", publish);
  $("review-prev").addEventListener("click", () => goToPage(page - 1));
  $("review-next").addEventListener("click", () => goToPage(page + 1));
  for (const button of document.querySelectorAll("[data-layout]")) {
    button.addEventListener("click", () => setLayout(button.dataset.layout));
  }
  $("review-find").addEventListener("submit", (event) => {
    event.preventDefault();
    runFinder();
  });
  $("review-find-q").addEventListener("input", () => runFinder());
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => download(button.dataset.export));
  }
  $("print-cards").addEventListener("click", printCards);
  $("cards-print").addEventListener("click", () => $("cards-frame").contentWindow.print());
  $("cards-close").addEventListener("click", () => $("cards-dialog").close());
}

export const view = { name: "review", init, load, reset };
