// Hallway organizer dashboard: a small single-page app over the /v1 JSON API.
// The API key lives only in sessionStorage (this tab) and travels as a Bearer header.
"use strict";

const KEY_STORE = "hallway.key";
const CONF_STORE = "hallway.conference";
const POLL_MS = 1000;
const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
];

const state = {
  conferences: [],
  conference: null,
  rounds: [],
  plans: [],
  plan: null, // the plan under review (PlanDetail)
  etag: null,
  roundId: null,
  swapFrom: null,
  poll: null,
  importFile: null,
  importMapping: null, // the organizer's changes: { columns: {header: target}, placeholders: {kind: action} }
  attendeeCursor: null,
};

// ---- small helpers -------------------------------------------------------------------------

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
  for (const child of children) el.append(child instanceof Node ? child : String(child));
  return el;
}

function show(el, visible) {
  el.hidden = !visible;
}

function say(el, text) {
  el.textContent = text || "";
  show(el, Boolean(text));
}

function toast(text) {
  const el = $("toast");
  say(el, text);
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => show(el, false), 4000);
}

function fmtTime(value) {
  if (!value) return "";
  // Rounds come in the venue's zone with an offset: show that wall-clock time as given.
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return m ? `${m[1]} ${m[2]}` : value;
}

function fmtStamp(value) {
  if (!value) return "";
  return new Date(value).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function pct(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 100)} %`;
}

function num(value, places = 2) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(places);
}

// ---- the API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function key() {
  return sessionStorage.getItem(KEY_STORE);
}

async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${key()}`, ...headers } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    signOut("Your key was not accepted. Sign in again.");
    throw new ApiError(401, { detail: "Not signed in." });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch (_) {
      problem = { detail: response.statusText };
    }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

function conf(path = "") {
  return `/v1/conferences/${state.conference.id}${path}`;
}

function problemText(err) {
  const p = err.problem || {};
  const lines = [err.message];
  for (const e of p.errors || []) {
    const text = e.detail || e.message || "";
    if (!text || err.message.includes(text)) continue;
    const where = (e.pointer || "").replace(/^#\/(body\/)?/, "");
    lines.push(where ? `${where}: ${text}` : text);
  }
  return lines.join(" — ");
}

// ---- sign in and conference choice ---------------------------------------------------------

function signOut(message) {
  sessionStorage.removeItem(KEY_STORE);
  sessionStorage.removeItem(CONF_STORE);
  stopPolling();
  show($("app"), false);
  show($("conference-pick"), false);
  show($("sign-out"), false);
  show($("signin"), true);
  say($("signin-error"), message || "");
  $("api-key").value = "";
  $("api-key").focus();
}

async function start() {
  if (!key()) {
    signOut();
    return;
  }
  try {
    state.conferences = await api("/v1/conferences");
  } catch (err) {
    if (err.status !== 401) signOut(err.message);
    return;
  }
  show($("signin"), false);
  show($("app"), true);
  show($("sign-out"), true);
  const select = $("conference-select");
  select.replaceChildren(
    ...state.conferences.map((c) => h("option", { value: c.id }, `${c.name} (${c.slug})`)),
  );
  show($("conference-pick"), state.conferences.length > 0);
  const saved = sessionStorage.getItem(CONF_STORE);
  const chosen = state.conferences.find((c) => c.id === saved) || state.conferences[0] || null;
  await chooseConference(chosen);
}

async function chooseConference(conference) {
  state.conference = conference;
  state.plan = null;
  state.roundId = null;
  stopPolling();
  if (conference) {
    sessionStorage.setItem(CONF_STORE, conference.id);
    $("conference-select").value = conference.id;
  }
  await route();
}

// ---- routing -------------------------------------------------------------------------------

const VIEWS = {
  overview: loadOverview,
  attendees: loadAttendees,
  rounds: loadRounds,
  plans: loadPlans,
  review: loadReview,
  mail: loadMail,
};

async function route() {
  let name = (location.hash.replace(/^#\/?/, "") || "overview").split("/")[0];
  if (!VIEWS[name]) name = "overview";
  if (!state.conference) name = "none";
  for (const section of document.querySelectorAll("[data-section]")) {
    show(section, section.id === `view-${name}`);
  }
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (name !== "plans") stopPolling();
  if (VIEWS[name]) {
    try {
      await VIEWS[name]();
    } catch (err) {
      if (err.status !== 401) toast(err.message);
    }
  }
}

// ---- overview ------------------------------------------------------------------------------

async function allAttendees(params = "") {
  const items = [];
  let cursor = null;
  do {
    const query = `?limit=1000${params}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api(conf(`/attendees${query}`));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function stat(label, value, id) {
  return h("div", { class: "stat", id }, h("span", { class: "value" }, value), h("span", { class: "label" }, label));
}

async function loadOverview() {
  const c = state.conference;
  $("overview-title").textContent = c.name;
  const dates = [c.starts_on, c.ends_on].filter(Boolean).join(" – ");
  $("overview-meta").textContent = [dates, c.location, c.timezone].filter(Boolean).join(" · ");
  const [people, rounds, plans] = await Promise.all([
    allAttendees("&status=registered"),
    api(conf("/rounds")),
    api(conf("/plans")).catch(() => []),
  ]);
  $("overview-stats").replaceChildren(
    stat("attendees registered", people.length, "stat-attendees"),
    stat("came on their own", people.filter((a) => a.solo).length, "stat-solo"),
    stat("dinner opt-ins", people.filter((a) => a.dinner).length, "stat-dinner"),
    stat("first-timers", people.filter((a) => a.first_time).length, "stat-first"),
    stat("rounds", rounds.length, "stat-rounds"),
  );
  const live = plans.find((p) => p.status === "published");
  $("overview-plan").textContent = live
    ? `Published ${fmtStamp(live.published_at)} (version ${live.version}).`
    : "Nothing is published yet.";
}

// ---- attendees and import ------------------------------------------------------------------

async function copyLink(a) {
  try {
    await navigator.clipboard.writeText(a.link);
    toast(`Link of ${a.name} copied.`);
  } catch (_) {
    window.prompt(`Private link of ${a.name}:`, a.link);
  }
}

async function revokeLink(a, row) {
  if (!confirm(`Revoke the link of ${a.name}? The old link stops working; copy the new one to send it.`)) return;
  try {
    const updated = await api(conf(`/attendees/${encodeURIComponent(a.external_id)}/link:revoke`), { method: "POST" });
    row.replaceWith(attendeeRow(updated));
    toast(`${a.name} has a new link.`);
  } catch (err) {
    toast(problemText(err));
  }
}

function attendeeRow(a) {
  const row = h(
    "tr",
    { "data-attendee": a.external_id },
    h("td", {}, a.external_id),
    h("td", {}, a.name),
    h("td", {}, a.affiliation),
    h("td", {}, a.hometown),
    h("td", {}, a.solo ? "yes" : ""),
    h("td", {}, a.dinner ? "yes" : ""),
    h("td", {}, a.status),
    h("td", {}, a.link_opened_at ? fmtStamp(a.link_opened_at) : "not yet"),
    h("td", {}, a.profile_written_at ? fmtStamp(a.profile_written_at) : "not yet"),
    h(
      "td",
      {},
      h("button", { type: "button", class: "small", "aria-label": `Copy the link of ${a.name}`, onclick: () => copyLink(a) }, "Copy link"),
      " ",
      h("button", { type: "button", class: "small danger", "aria-label": `Revoke the link of ${a.name}`, onclick: () => revokeLink(a, row) }, "Revoke"),
    ),
  );
  return row;
}

function attendeeQuery() {
  const params = new URLSearchParams();
  for (const el of $("attendee-filters").elements) {
    if (el.name && el.value.trim()) params.set(el.name, el.value.trim());
  }
  const text = params.toString();
  return text ? `&${text}` : "";
}

async function loadAttendees(more = false) {
  const tbody = $("attendee-table").tBodies[0];
  if (!more) {
    tbody.replaceChildren();
    state.attendeeCursor = null;
  }
  const cursor = state.attendeeCursor ? `&cursor=${encodeURIComponent(state.attendeeCursor)}` : "";
  const page = await api(conf(`/attendees?limit=100${attendeeQuery()}${cursor}`));
  tbody.append(...page.items.map(attendeeRow));
  if (!tbody.rows.length) tbody.append(h("tr", {}, h("td", { colspan: 10, class: "muted" }, attendeeQuery() ? "Nobody matches." : "Nobody yet: import a file.")));
  $("attendee-count").textContent = `${page.total} ${page.total === 1 ? "person matches" : "people match"}.`;
  state.attendeeCursor = page.next_cursor;
  show($("attendees-more"), Boolean(page.next_cursor));
}

async function downloadMailMerge(format) {
  try {
    const response = await api(conf(`/mail-merge?format=${format}`), { raw: true });
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: `${state.conference.slug}-mail-merge.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    toast(problemText(err));
  }
}

// ---- e-mail ----------------------------------------------------------------------------------

const MAIL_LABEL = { invitation: "Invitation", tables_ready: "Tables ready", table_changed: "Table changed" };

function mailError(err) {
  const box = $("mail-error");
  if (!err) {
    show(box, false);
    return;
  }
  box.textContent = problemText(err);
  show(box, true);
}

async function loadMailTemplate() {
  const kind = $("mail-kind").value;
  const t = await api(conf(`/mail/templates/${kind}`));
  $("mail-subject").value = t.subject;
  $("mail-body").value = t.body;
  $("mail-fields").textContent = "Fields: " + Object.entries(t.fields).map(([k, v]) => `{{ ${k} }} (${v})`).join(", ");
}

async function loadMailStatus() {
  const status = await api(conf("/mail"));
  $("mail-setup").textContent = status.configured
    ? `Sending through ${status.server} as ${status.sender}.`
    : `${status.problem} Use the mail merge on the Attendees page instead.`;
  $("mail-send").disabled = !status.configured;
  $("mail-progress").replaceChildren(
    ...Object.entries(status.progress).map(([kind, p]) =>
      stat(`${MAIL_LABEL[kind]}: sent ${p.sent}, queued ${p.queued + p.sending}, failed ${p.failed}`, p.sent, `mail-progress-${kind}`),
    ),
  );
  const log = await api(conf("/mail/messages?limit=200"));
  $("mail-log").tBodies[0].replaceChildren(
    ...log.items.map((e) =>
      h("tr", {}, h("td", {}, e.external_id), h("td", {}, e.name), h("td", {}, MAIL_LABEL[e.kind]), h("td", {}, e.status), h("td", {}, String(e.attempts)), h("td", {}, e.answer)),
    ),
  );
  return status;
}

async function loadMail() {
  mailError(null);
  await loadMailTemplate();
  const status = await loadMailStatus();
  const busy = Object.values(status.progress).some((p) => p.queued + p.sending > 0);
  clearTimeout(state.mailTimer);
  if (busy && location.hash.startsWith("#/mail")) state.mailTimer = setTimeout(loadMailStatus, POLL_MS * 2);
}

async function saveMailTemplate() {
  mailError(null);
  try {
    await api(conf(`/mail/templates/${$("mail-kind").value}`), { method: "PUT", body: { subject: $("mail-subject").value, body: $("mail-body").value } });
    toast("Text saved.");
  } catch (err) {
    mailError(err);
  }
}

async function previewMail() {
  mailError(null);
  try {
    const p = await api(conf(`/mail/${$("mail-kind").value}/preview`), {
      method: "POST",
      body: { attendee: $("mail-preview-attendee").value.trim(), subject: $("mail-subject").value, body: $("mail-body").value },
    });
    $("mail-preview-headers").textContent = Object.entries(p.headers).map(([k, v]) => `${k}: ${v}`).join("\n");
    $("mail-preview-text").textContent = p.text;
    show($("mail-preview-box"), true);
  } catch (err) {
    mailError(err);
  }
}

async function sendMail() {
  mailError(null);
  const kind = $("mail-kind").value;
  if (!confirm(`Send "${MAIL_LABEL[kind]}" (the saved text) to everyone who has not had it yet?`)) return;
  try {
    const r = await api(conf(`/mail/${kind}:send`), { method: "POST" });
    toast(`${r.queued} queued; ${r.already} had it already.`);
    await loadMail();
  } catch (err) {
    mailError(err);
  }
}

async function runImport(mode) {
  const form = new FormData();
  form.append("file", state.importFile, state.importFile.name);
  if (state.importMapping) form.append("mapping", JSON.stringify(state.importMapping));
  const query = mode === "check" ? "?dry_run=true" : mode === "skip" ? "?skip_invalid=true" : "";
  return api(conf(`/attendees/import${query}`), { method: "POST", body: form });
}

const KIND_LABELS = {
  info_requested: "“Info Requested” placeholders",
  email_as_name: "E-mail addresses as names",
  test_entry: "Test entries",
  duplicate_person: "One person under two tickets",
};
const ACTION_LABELS = {
  buyer_name: "use the buyer’s name",
  needs_details: "import as “needs details”",
  skip: "skip",
  import: "import anyway",
};

function changeMapping(part, name, value) {
  state.importMapping = state.importMapping || { columns: {}, placeholders: {} };
  state.importMapping[part][name] = value;
  checkImport();
}

function showMapping(columns, targets) {
  const tbody = $("import-mapping").tBodies[0];
  tbody.replaceChildren(
    ...columns.map((c, index) => {
      const id = `import-target-${index}`;
      const select = h(
        "select",
        { id, "data-header": c.header, onchange: (e) => changeMapping("columns", c.header, e.target.value) },
        ...Object.entries(targets).map(([target, label]) =>
          h("option", { value: target, selected: target === c.target }, label),
        ),
      );
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, h("label", { for: id }, c.header)),
        h("td", {}, select),
        h("td", {}, c.recognised_by),
        h("td", { class: "muted" }, c.samples.join(" · ")),
      );
    }),
  );
  show($("import-mapping-wrap"), columns.length > 0);
}

function showFlagged(result) {
  const kinds = [...new Set(result.flagged.map((f) => f.kind))];
  $("import-placeholder-choices").replaceChildren(
    ...kinds.map((kind) => {
      const id = `import-action-${kind}`;
      const chosen = result.mapping ? result.mapping.placeholders[kind] : null;
      return h(
        "div",
        { class: "field" },
        h("label", { for: id }, KIND_LABELS[kind] || kind),
        h(
          "select",
          { id, onchange: (e) => changeMapping("placeholders", kind, e.target.value) },
          ...(result.placeholder_actions[kind] || []).map((action) =>
            h("option", { value: action, selected: action === chosen }, ACTION_LABELS[action] || action),
          ),
        ),
      );
    }),
  );
  $("import-flagged").tBodies[0].replaceChildren(
    ...result.flagged.map((f) =>
      h(
        "tr",
        {},
        h("td", {}, f.row),
        h("td", {}, KIND_LABELS[f.kind] || f.kind),
        h("td", {}, f.name),
        h("td", {}, (ACTION_LABELS[f.action] || f.action) + (f.note ? ` (${f.note})` : "")),
      ),
    ),
  );
  show($("import-flagged-wrap"), result.flagged.length > 0);
}

function showImport(result, problems) {
  const c = result && result.counts;
  const counts = [
    ["Rows", result ? result.rows : "–"],
    [result && result.applied ? "Created" : "New", result ? result.created : "–"],
    [result && result.applied ? "Updated" : "Changed", result ? result.updated : "–"],
    ["Unchanged", result ? result.unchanged : "–"],
    ["To be seated", c ? c.seated : "–"],
    ["Solo", c ? c.solo : "–"],
    ["Dinner", c ? c.dinner : "–"],
    ["Blank profiles", c ? c.blank_profiles : "–"],
    ["Cancelled", c ? c.cancelled : "–"],
    ["Needs details", c ? c.needs_details : "–"],
    ["Skipped", c ? c.skipped : "–"],
    ["Rows with problems", result ? result.invalid : problems.length],
  ];
  $("import-counts").replaceChildren(
    ...counts.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
  const tbody = $("import-problems").tBodies[0];
  tbody.replaceChildren(
    ...problems.map((p) =>
      h("tr", {}, h("td", {}, p.row ?? ""), h("td", {}, p.column ?? ""), h("td", {}, p.message ?? p.detail ?? "")),
    ),
  );
  show($("import-problems-wrap"), problems.length > 0);
}

async function checkImport(event) {
  if (event) {
    // A new file: start from its saved or recognised mapping.
    event.preventDefault();
    const file = $("import-file").files[0];
    if (!file) return;
    state.importFile = file;
    state.importMapping = null;
  }
  if (!state.importFile) return;
  $("import-filename").textContent = state.importFile.name;
  say($("import-done"), "");
  show($("import-result"), true);
  show($("import-apply"), false);
  show($("import-skip"), false);
  try {
    const result = await runImport("check");
    showImport(result, result.problems);
    showMapping(result.columns, result.targets);
    showFlagged(result);
    $("import-mapping-note").dataset.source = result.mapping_source;
    const good = result.created + result.updated + result.unchanged;
    show($("import-apply"), result.problems.length === 0 && good > 0);
    show($("import-skip"), result.problems.length > 0 && good > 0);
    $("import-skip").textContent = `Import the ${good} good rows`;
  } catch (err) {
    // The file as a whole cannot be read: a problem without rows. When no id or name column
    // was recognised, the answer lists the columns so that one can be mapped.
    showImport(null, [{ row: "", column: "", message: problemText(err) }]);
    const columns = (err.problem && err.problem.columns) || [];
    showMapping(columns, (err.problem && err.problem.targets) || {});
    show($("import-flagged-wrap"), false);
  }
}

async function applyImport(mode) {
  try {
    const result = await runImport(mode);
    showImport(result, result.problems);
    show($("import-apply"), false);
    show($("import-skip"), false);
    say(
      $("import-done"),
      `Imported: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged` +
        (result.invalid ? `, ${result.invalid} rows skipped.` : "."),
    );
    $("import-file").value = "";
    state.importMapping = null;
    await loadAttendees();
  } catch (err) {
    toast(problemText(err));
  }
}

// ---- rounds --------------------------------------------------------------------------------

async function loadRounds() {
  state.rounds = await api(conf("/rounds"));
  const tbody = $("round-table").tBodies[0];
  tbody.replaceChildren(
    ...state.rounds.map((r) =>
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
  if (!state.rounds.length) tbody.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No rounds yet.")));
  await loadRules();
}

// ---- seating rules (keep together, keep apart) ---------------------------------------------

const RULE_LABEL = { keep_together: "Keep together", keep_apart: "Keep apart" };

async function loadRules() {
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

async function deleteRound(r) {
  if (!confirm(`Delete the round “${r.name}”?`)) return;
  try {
    await api(conf(`/rounds/${r.id}`), { method: "DELETE" });
    toast(`Deleted ${r.name}.`);
    await loadRounds();
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
    await loadRounds();
  } catch (err) {
    say($("round-error"), problemText(err));
  }
}

// ---- plans ---------------------------------------------------------------------------------

const STATUS_LABEL = {
  queued: "Queued",
  running: "Running",
  ready: "Ready to review",
  published: "Published",
  superseded: "Superseded",
  failed: "Failed",
};

async function loadPlans() {
  state.plans = await api(conf("/plans"));
  const tbody = $("plan-table").tBodies[0];
  tbody.replaceChildren(
    ...state.plans.map((p) => {
      const sm = p.summary || {};
      return h(
        "tr",
        {},
        h("td", {}, fmtStamp(p.created_at)),
        h("td", {}, h("span", { class: `badge ${p.status}` }, STATUS_LABEL[p.status] || p.status)),
        h("td", {}, p.version),
        h("td", {}, p.summary ? `${sm.coworker_pairs} (min ${sm.coworker_pairs_min})` : ""),
        h("td", {}, p.summary ? sm.repeated_pairs : ""),
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
  if (!state.plans.length) tbody.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, "No plans yet.")));
  const active = state.plans.find((p) => p.status === "queued" || p.status === "running");
  if (active && !state.poll) watchPlan(active.id);
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
    await loadPlans();
  } catch (err) {
    say($("plan-error"), problemText(err));
  }
}

function stopPolling() {
  if (state.poll) clearTimeout(state.poll);
  state.poll = null;
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
      state.poll = null;
      return;
    }
    $("plan-progress").value = plan.progress || 0;
    $("plan-status").textContent = `${STATUS_LABEL[plan.status] || plan.status} · ${Math.round((plan.progress || 0) * 100)} %`;
    $("plan-message").textContent = plan.message || "";
    if (plan.status === "queued" || plan.status === "running") {
      state.poll = setTimeout(tick, POLL_MS);
      return;
    }
    state.poll = null;
    $("plan-start").disabled = false;
    if (plan.status === "failed") {
      say($("plan-failed"), plan.error || "The run failed.");
    } else {
      $("plan-progress").value = 1;
      $("plan-review-link").href = `#/review/${plan.id}`;
      show($("plan-review-link"), true);
    }
    await loadPlans();
  };
  state.poll = setTimeout(tick, 0);
}

// ---- review --------------------------------------------------------------------------------

const FIGURES = [
  ["common_ground", "common ground", (v) => num(v)],
  ["diversity", "diversity", (v) => num(v)],
  ["kindred", "with a kindred mate", (v) => v],
  ["hometowns", "home towns", (v) => v],
  ["first_timers", "first-timers", (v) => v],
  ["solo", "solo", (v) => v],
];

async function loadReview() {
  const wanted = location.hash.split("/")[2] || (state.plan && state.plan.id);
  const [plans, rounds] = await Promise.all([api(conf("/plans")), api(conf("/rounds"))]);
  state.plans = plans;
  state.rounds = rounds;
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
    $("map").replaceChildren();
    show($("publish"), false);
    return;
  }
  const chosen = reviewable.find((p) => p.id === wanted) || reviewable.find((p) => p.status !== "superseded") || reviewable[0];
  if (!rounds.some((r) => r.id === state.roundId)) state.roundId = rounds.length ? rounds[0].id : null;
  $("review-round").value = state.roundId || "";
  await openPlan(chosen.id);
}

async function openPlan(planId) {
  const response = await api(conf(`/plans/${planId}`), { raw: true });
  state.etag = response.headers.get("ETag");
  state.plan = await response.json();
  state.swapFrom = null;
  show($("swapbar"), false);
  show($("review-stale"), false);
  say($("review-error"), "");
  $("review-plan").value = planId;
  const status = $("review-status");
  status.className = `badge ${state.plan.status}`;
  status.textContent = STATUS_LABEL[state.plan.status] || state.plan.status;
  show($("publish"), state.plan.status === "ready");
  renderSummary();
  await renderRound();
}

function renderSummary() {
  const sm = (state.plan.report && state.plan.report.summary) || state.plan.summary || {};
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
  const round = state.rounds.find((r) => r.id === state.roundId);
  const rounds = (state.plan.report && state.plan.report.rounds) || [];
  const figures = round && rounds.find((r) => r.name === round.name);
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
  if (!state.roundId) {
    holder.replaceChildren(h("p", { class: "muted" }, "This conference has no rounds."));
    $("map").replaceChildren();
    return;
  }
  const base = conf(`/plans/${state.plan.id}`);
  let tables;
  let map;
  try {
    [tables, map] = await Promise.all([
      api(`${base}/rounds/${state.roundId}/tables`),
      api(`${base}/map?round_id=${state.roundId}`).catch(() => ({ points: [] })),
    ]);
  } catch (err) {
    holder.replaceChildren(h("p", { class: "muted" }, err.message));
    $("map").replaceChildren();
    return;
  }
  // Only a ready plan takes edits; a published one changes through a re-plan.
  const editable = state.plan.status === "ready";
  show($("review-locked"), !editable);
  holder.replaceChildren(...tables.map((t) => tableCard(t, tables, editable)));
  renderMap(map.points || []);
}

function tableCard(t, tables, editable) {
  const colour = PALETTE[(t.table - 1) % PALETTE.length];
  const figures = FIGURES.filter(([k]) => t.figures && t.figures[k] !== undefined && t.figures[k] !== null).map(
    ([k, label, fmt]) => h("span", { class: "figure" }, h("strong", {}, fmt(t.figures[k])), ` ${label}`),
  );
  return h(
    "article",
    { class: "table-card", "aria-labelledby": `table-${t.table}-title`, "data-table": t.table },
    h(
      "header",
      {},
      h("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }),
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
  const swapping = state.swapFrom;
  const swapButton =
    swapping && swapping.external_id !== m.external_id
      ? h("button", { type: "button", class: "small", "aria-label": `Swap ${m.name} with ${swapping.name}`, onclick: () => doSwap(m) }, `Swap with ${swapping.name}`)
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
  state.swapFrom = m;
  $("swap-text").textContent = `Swapping ${m.name}: pick the person to swap with.`;
  show($("swapbar"), true);
  renderRound();
}

function cancelSwap() {
  state.swapFrom = null;
  show($("swapbar"), false);
  renderRound();
}

async function doSwap(m) {
  const a = state.swapFrom;
  state.swapFrom = null;
  show($("swapbar"), false);
  await edit({ op: "swap", a: a.external_id, b: m.external_id });
}

async function edit(change) {
  say($("review-error"), "");
  try {
    const response = await api(conf(`/plans/${state.plan.id}/edits`), {
      method: "POST",
      body: { ...change, round_id: state.roundId },
      headers: { "If-Match": state.etag || "" },
      raw: true,
    });
    state.etag = response.headers.get("ETag");
    await openPlan(state.plan.id);
    toast("Saved.");
  } catch (err) {
    if (err.status === 412) show($("review-stale"), true);
    else say($("review-error"), problemText(err));
  }
}

async function publish() {
  if (!confirm("Publish this plan? Attendees will see their tables.")) return;
  try {
    await api(conf(`/plans/${state.plan.id}/publish`), { method: "POST", headers: { "If-Match": state.etag || "" } });
    toast("Published.");
    await loadReview();
  } catch (err) {
    if (err.status === 412) show($("review-stale"), true);
    else say($("review-error"), problemText(err));
  }
}

function renderMap(points) {
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
      fill: PALETTE[(p.table - 1) % PALETTE.length],
      "data-table": p.table,
    });
    dot.append(s("title", {}, `${p.name} · Table ${p.table}`));
    svg.append(dot);
  }
  const tables = [...new Set(points.map((p) => p.table))].sort((a, b) => a - b);
  const legend = h(
    "ul",
    { class: "legend" },
    tables.map((t) => h("li", {}, h("span", { class: "swatch", style: `background:${PALETTE[(t - 1) % PALETTE.length]}` }), `Table ${t}`)),
  );
  holder.replaceChildren(svg, legend);
}

// ---- exports and cards ---------------------------------------------------------------------

async function download(format) {
  try {
    const response = await api(conf(`/export?format=${format}`), { raw: true });
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: match ? match[1] : `plan.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    toast(err.status === 409 ? "Nothing is published yet: publish a plan first." : problemText(err));
  }
}

async function printCards() {
  if (!state.plan) return;
  try {
    const query = state.roundId ? `?round_id=${state.roundId}` : "";
    const response = await api(conf(`/plans/${state.plan.id}/cards${query}`), { raw: true });
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

// ---- wiring --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("api-key").value.trim();
    if (!value) return;
    sessionStorage.setItem(KEY_STORE, value);
    $("api-key").value = "";
    await start();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("conference-select").addEventListener("change", (event) =>
    chooseConference(state.conferences.find((c) => c.id === event.target.value) || null),
  );
  window.addEventListener("hashchange", () => {
    if (key()) route();
  });
  $("import-form").addEventListener("submit", checkImport);
  $("import-apply").addEventListener("click", () => applyImport("all"));
  $("import-skip").addEventListener("click", () => applyImport("skip"));
  $("import-cancel").addEventListener("click", () => {
    show($("import-result"), false);
    $("import-file").value = "";
  });
  $("attendees-more").addEventListener("click", () => loadAttendees(true));
  $("attendee-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAttendees().catch((err) => toast(problemText(err)));
  });
  for (const button of document.querySelectorAll("[data-mail-merge]")) {
    button.addEventListener("click", () => downloadMailMerge(button.dataset.mailMerge));
  }
  $("mail-kind").addEventListener("change", () => loadMailTemplate().catch((err) => mailError(err)));
  $("mail-save").addEventListener("click", saveMailTemplate);
  $("mail-preview").addEventListener("click", previewMail);
  $("mail-send").addEventListener("click", sendMail);
  $("round-form").addEventListener("submit", addRound);
  $("rule-form").addEventListener("submit", addRule);
  for (const radio of document.querySelectorAll('input[name="plan"]')) radio.addEventListener("change", tablePlanChanged);
  $("plan-form").addEventListener("submit", startPlan);
  $("review-plan").addEventListener("change", (event) => openPlan(event.target.value));
  $("review-round").addEventListener("change", (event) => {
    state.roundId = event.target.value;
    state.swapFrom = null;
    show($("swapbar"), false);
    renderRound();
  });
  $("review-reload").addEventListener("click", () => openPlan(state.plan.id));
  $("swap-cancel").addEventListener("click", cancelSwap);
  $("publish").addEventListener("click", publish);
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => download(button.dataset.export));
  }
  $("print-cards").addEventListener("click", printCards);
  $("cards-print").addEventListener("click", () => $("cards-frame").contentWindow.print());
  $("cards-close").addEventListener("click", () => $("cards-dialog").close());
  start();
});
