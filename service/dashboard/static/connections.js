// Registration systems: connect the conference to its event on pretix, Tito or Eventbrite, see
// each connection's deliveries, syncs and errors, run a full sync and read the log.
// Tokens go in through password fields and never come back from the API.

import { api, conf, problemText } from "./api.js";
import { $, fmtStamp, h, say, show, toast } from "./dom.js";
import { clearErrors, copy, errorAfter, field, showProblem } from "./forms.js";

const PLATFORM_LABEL = { pretix: "pretix", tito: "Tito", eventbrite: "Eventbrite" };
const SYNC_POLL_MS = 1500;
const SYNC_POLL_LIMIT = 120; // three minutes; a longer sync is read on the next visit
const LOG_LIMIT = 50;
const COUNT_NAMES = ["created", "updated", "cancelled", "unchanged", "ignored", "invalid"];
const LOG_KINDS = {
  received: "received",
  processed: "processed",
  refused: "refused",
  ignored: "ignored",
  error: "error",
  sync: "sync",
  connection: "connection",
};

// Where to paste the URL and which events to tick, as in the README.
const STEPS = {
  pretix: [
    "In pretix: Organizer → Webhooks → Create webhook.",
    "Target URL: the address above; choose the event (or all events).",
    "Tick Order placed, Order marked as paid, Order canceled, Order expired, Order reactivated, " +
      "Order changed (all of its kinds), Order information changed and Order contact address changed.",
  ],
  tito: [
    "In Tito: the event → Settings → Webhooks → Add endpoint.",
    "Paste the address above and tick ticket.completed, ticket.updated, ticket.reassigned, " +
      "ticket.voided and ticket.unvoided.",
    "If you gave a stand-in security token, set the real one with “Replace token” below: " +
      "deliveries before that are refused, a full sync catches up.",
  ],
  eventbrite: [
    "In Eventbrite: Account settings → Developer links → Webhooks → Add webhook.",
    "Payload URL: the address above; choose the event and the actions order.placed, " +
      "order.updated, order.refunded, attendee.updated and attendee.checked_in.",
  ],
};

let controls = null; // the form's controls, made once in init()
let connections = [];
let logOf = null; // the connection whose log is open
let logCursor = null;
let syncTimer = null;
let polls = 0;

function input(id, attrs = {}) {
  return h("input", { id, name: id, autocomplete: "off", spellcheck: "false", maxlength: 200, ...attrs });
}

function buildForm() {
  const c = {
    platform: h(
      "select",
      { id: "connection-platform", name: "platform" },
      ...Object.entries(PLATFORM_LABEL).map(([value, label]) => h("option", { value }, label)),
    ),
    name: input("connection-name", { placeholder: "Main ticket shop" }),
    pretixUrl: input("connection-pretix-url", { type: "url", maxlength: 500, placeholder: "https://pretix.eu" }),
    pretixOrganizer: input("connection-pretix-organizer", { required: true, placeholder: "pyconde" }),
    pretixEvent: input("connection-pretix-event", { required: true, placeholder: "2027" }),
    titoAccount: input("connection-tito-account", { required: true, placeholder: "pyconf" }),
    titoEvent: input("connection-tito-event", { required: true, placeholder: "pyconf-2027" }),
    titoSecret: input("connection-tito-secret", { type: "password", required: true, maxlength: 2000 }),
    eventbriteEvent: input("connection-eventbrite-event", { required: true, inputmode: "numeric", pattern: "[0-9]+", placeholder: "717926867587" }),
    token: input("connection-token", { type: "password", required: true, maxlength: 2000 }),
    error: h("p", { class: "error", id: "connection-error", role: "alert", hidden: true }),
    submit: h("button", { type: "submit", class: "primary" }, "Connect"),
  };
  c.groups = {
    pretix: h(
      "fieldset",
      { class: "platform-fields", "data-platform": "pretix" },
      h("legend", {}, "pretix event"),
      h(
        "div",
        { class: "grid" },
        field("Organizer short form", c.pretixOrganizer),
        field("Event short form", c.pretixEvent, "As in the shop's address: …/organizer/event/."),
        field("pretix address (optional)", c.pretixUrl, "Leave empty for pretix.eu."),
      ),
    ),
    tito: h(
      "fieldset",
      { class: "platform-fields", "data-platform": "tito" },
      h("legend", {}, "Tito event"),
      h(
        "div",
        { class: "grid" },
        field("Account slug", c.titoAccount),
        field("Event slug", c.titoEvent, "As in the event's admin address: ti.to/account/event."),
        field("Webhook security token", c.titoSecret, "From the webhook endpoint in Tito; a stand-in may be replaced later."),
      ),
    ),
    eventbrite: h(
      "fieldset",
      { class: "platform-fields", "data-platform": "eventbrite" },
      h("legend", {}, "Eventbrite event"),
      h("div", { class: "grid" }, field("Event id", c.eventbriteEvent, "The number at the end of the event's address.")),
    ),
  };
  c.form = h(
    "form",
    { id: "connection-form", class: "card" },
    h("h2", {}, "Connect a registration system"),
    h(
      "div",
      { class: "grid" },
      field("Platform", c.platform),
      field("Label (optional)", c.name),
    ),
    c.groups.pretix,
    c.groups.tito,
    c.groups.eventbrite,
    h(
      "div",
      { class: "grid" },
      field("API token", c.token, "Stored encrypted and never shown again."),
    ),
    c.submit,
    c.error,
  );
  return c;
}

/** Show only the chosen platform's fields; the others are disabled, so they are not checked. */
function choosePlatform() {
  const chosen = controls.platform.value;
  for (const [platform, group] of Object.entries(controls.groups)) {
    show(group, platform === chosen);
    group.disabled = platform !== chosen;
  }
}

/** The controls a problem's field names point at, for the chosen platform. */
function fieldsFor(platform) {
  const c = controls;
  const common = { platform: c.platform, name: c.name, token: c.token };
  if (platform === "pretix") return { ...common, base_url: c.pretixUrl, organizer: c.pretixOrganizer, event: c.pretixEvent };
  if (platform === "tito") return { ...common, event: c.titoEvent, signing_secret: c.titoSecret };
  return { ...common, event: c.eventbriteEvent };
}

function body() {
  const c = controls;
  const platform = c.platform.value;
  const out = { platform, name: c.name.value.trim(), token: c.token.value.trim() };
  if (platform === "pretix") {
    out.organizer = c.pretixOrganizer.value.trim();
    out.event = c.pretixEvent.value.trim();
    if (c.pretixUrl.value.trim()) out.base_url = c.pretixUrl.value.trim();
  } else if (platform === "tito") {
    out.event = `${c.titoAccount.value.trim()}/${c.titoEvent.value.trim()}`;
    out.signing_secret = c.titoSecret.value.trim();
  } else {
    out.event = c.eventbriteEvent.value.trim();
  }
  return out;
}

function label(connection) {
  const event = connection.organizer ? `${connection.organizer}/${connection.event}` : connection.event;
  return `${PLATFORM_LABEL[connection.platform]} ${connection.name || event}`;
}

async function create(event) {
  event.preventDefault();
  clearErrors(controls.form);
  say(controls.error, "");
  const sent = body();
  try {
    const made = await api(conf("/connections"), { method: "POST", body: sent });
    controls.form.reset();
    choosePlatform();
    showUrl(made, made.webhook_url, "made");
    await list();
  } catch (err) {
    if (err.status === 401) return;
    showProblem(err, { fields: fieldsFor(sent.platform), general: controls.error, fallback: controls.submit });
  }
}

/** The webhook URL, this once, with what to do with it on the platform. */
function showUrl(connection, url, how) {
  const box = $("connection-new");
  const code = h("code", { id: "connection-url" }, url);
  const copyButton = h("button", { type: "button", class: "small", onclick: () => copy(url, "Webhook URL", toast) }, "Copy URL");
  const done = h("button", { type: "button", class: "small", onclick: () => {
    box.replaceChildren();
    show(box, false);
    $("connections-title").focus();
  } }, "I have pasted it");
  box.replaceChildren(
    h("h2", { id: "connection-new-title", tabindex: "-1" }, how === "made" ? `Connected: ${label(connection)}` : `New webhook URL for ${label(connection)}`),
    h("p", {}, "The webhook URL, shown only this once: paste it into the platform now."),
    h("p", { class: "secret" }, code, " ", copyButton),
    how === "made" ? h("ol", {}, ...STEPS[connection.platform].map((step) => h("li", {}, step))) : h("p", {}, "The old URL stopped working: replace it on the platform."),
    done,
  );
  show(box, true);
  $("connection-new-title").focus();
}

function countsText(counts) {
  return COUNT_NAMES.filter((n) => n in counts && (counts[n] || ["created", "updated", "cancelled", "unchanged"].includes(n)))
    .map((n) => `${counts[n]} ${n}`)
    .join(", ");
}

function syncText(sync) {
  if (!sync) return "never";
  if (sync.status === "done") return `${fmtStamp(sync.finished_at)}: ${countsText(sync.counts)}`;
  if (sync.status === "failed") return `failed ${fmtStamp(sync.finished_at)}: ${sync.error}`;
  return sync.status === "queued" ? "waiting to start" : "running";
}

function deliveries(n) {
  return n === 1 ? "1 delivery" : `${n} deliveries`;
}

function statusOf(c) {
  if (c.last_error) return { badge: "needs attention", text: `Error ${fmtStamp(c.last_error_at)}: ${c.last_error}`, cls: "failed" };
  if (c.failed_deliveries) return { badge: "needs attention", text: `${deliveries(c.failed_deliveries)} failed (see the log)`, cls: "failed" };
  if (c.pending_deliveries) return { badge: "busy", text: `${deliveries(c.pending_deliveries)} waiting`, cls: "queued" };
  if (!c.last_received_at && !c.last_synced_at) return { badge: "new", text: "Nothing received yet", cls: "" };
  return { badge: "working", text: "Working", cls: "published" };
}

function item(c) {
  const name = label(c);
  const status = statusOf(c);
  const id = `connection-${c.id}`;
  const actions = h(
    "div",
    { class: "actions" },
    h("button", { type: "button", id: `${id}-sync`, "aria-label": `Start a full sync of ${name}`, onclick: (e) => startSync(c, e.currentTarget) }, "Full sync"),
    h("button", { type: "button", id: `${id}-log`, "aria-label": `Read the log of ${name}`, onclick: () => openLog(c) }, "Log"),
    h("button", { type: "button", id: `${id}-rotate`, "aria-label": `Make a new webhook URL for ${name}`, onclick: (e) => rotate(c, e.currentTarget) }, "New webhook URL"),
    h("button", { type: "button", id: `${id}-token`, "aria-label": `Replace token of ${name}`, "aria-expanded": "false", onclick: (e) => toggleToken(c, e.currentTarget) }, "Replace token"),
    h("button", { type: "button", class: "danger", id: `${id}-delete`, "aria-label": `Delete ${name}`, onclick: (e) => remove(c, e.currentTarget) }, "Delete"),
  );
  return h(
    "li",
    { class: "card connection", id },
    h("h3", {}, name, " ", h("span", { class: `badge ${status.cls}` }, status.badge)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Event"),
      h("dd", {}, c.organizer ? `${c.organizer}/${c.event}` : c.event, c.base_url ? ` on ${c.base_url}` : ""),
      h("dt", {}, "Last delivery"),
      h("dd", {}, c.last_received_at ? fmtStamp(c.last_received_at) : "none yet"),
      h("dt", {}, "Last sync"),
      h("dd", { id: `${id}-last-sync` }, syncText(c.last_sync)),
      h("dt", {}, "Status"),
      h("dd", { class: status.cls === "failed" ? "error-text" : "" }, status.text),
    ),
    h("p", { class: "muted small", id: `${id}-sync-status`, role: "status" }),
    actions,
    h("div", { id: `${id}-token-box` }),
  );
}

async function list() {
  connections = await api(conf("/connections"));
  const ul = $("connection-list");
  ul.replaceChildren(...connections.map(item));
  show($("connection-empty"), !connections.length);
}

async function startSync(c, button) {
  button.disabled = true;
  const status = $(`connection-${c.id}-sync-status`);
  try {
    const queued = await api(conf(`/connections/${c.id}/sync`), { method: "POST" });
    say(status, "Full sync waiting to start…");
    polls = 0;
    pollSync(c, queued.sync_id);
  } catch (err) {
    button.disabled = false;
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

function pollSync(c, syncId) {
  clearTimeout(syncTimer);
  syncTimer = setTimeout(async () => {
    const status = $(`connection-${c.id}-sync-status`);
    const button = $(`connection-${c.id}-sync`);
    if (!status) return;
    let sync;
    try {
      sync = await api(conf(`/connections/${c.id}/syncs/${syncId}`));
    } catch (err) {
      if (err.status !== 401) say(status, problemText(err));
      if (button) button.disabled = false;
      return;
    }
    polls += 1;
    if (sync.status === "done") {
      say(status, `Full sync done: ${countsText(sync.counts)}.`);
      $(`connection-${c.id}-last-sync`).textContent = syncText(sync);
      button.disabled = false;
      if (logOf && logOf.id === c.id) await loadLog(false);
    } else if (sync.status === "failed") {
      say(status, `Full sync failed: ${sync.error}`);
      button.disabled = false;
    } else if (polls >= SYNC_POLL_LIMIT) {
      say(status, `The full sync is still ${sync.status}; its counts show here when you come back.`);
      button.disabled = false;
    } else {
      const retry = sync.error ? ` (${sync.error}; tried ${sync.attempts} times)` : "";
      say(status, `Full sync ${sync.status === "queued" ? "waiting to start" : "running"}…${retry}`);
      pollSync(c, syncId);
    }
  }, SYNC_POLL_MS);
}

async function rotate(c, button) {
  if (!confirm(`Make a new webhook URL for ${label(c)}? The current one stops working at once, until you paste the new one into ${PLATFORM_LABEL[c.platform]}.`)) return;
  try {
    const made = await api(conf(`/connections/${c.id}/webhook-url`), { method: "POST" });
    showUrl(c, made.webhook_url, "rotated");
  } catch (err) {
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

function toggleToken(c, button) {
  const box = $(`connection-${c.id}-token-box`);
  if (box.firstChild) {
    box.replaceChildren();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  button.setAttribute("aria-expanded", "true");
  const token = input(`connection-${c.id}-new-token`, { type: "password", maxlength: 2000 });
  const secret = c.platform === "tito" ? input(`connection-${c.id}-new-secret`, { type: "password", maxlength: 2000 }) : null;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary small" }, "Save");
  const form = h(
    "form",
    { class: "token-form" },
    h("div", { class: "grid" }, field("New API token (optional)", token), secret ? field("New webhook security token (optional)", secret) : null),
    save,
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const patch = {};
    if (token.value.trim()) patch.token = token.value.trim();
    if (secret && secret.value.trim()) patch.signing_secret = secret.value.trim();
    if (!Object.keys(patch).length) {
      say(error, "Give a new token to replace the stored one.");
      token.focus();
      return;
    }
    try {
      await api(conf(`/connections/${c.id}`), { method: "PATCH", body: patch });
      toast("Saved. Start a full sync to catch up on what was refused.");
      await list();
      $(`connection-${c.id}-sync`)?.focus();
    } catch (err) {
      if (err.status !== 401) showProblem(err, { fields: { token, signing_secret: secret }, general: error, fallback: save });
    }
  });
  box.replaceChildren(form);
  token.focus();
}

async function remove(c, button) {
  if (!confirm(`Delete ${label(c)}? Its webhook URL stops working and its log is forgotten; the attendees stay.`)) return;
  try {
    await api(conf(`/connections/${c.id}`), { method: "DELETE" });
    toast(`${label(c)} deleted.`);
    if (logOf && logOf.id === c.id) closeLog();
    await list();
    $("connections-title").focus();
  } catch (err) {
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

// --- the log ---------------------------------------------------------------------------------

function changeText(change) {
  const fields = change.fields && change.fields.length ? `: ${change.fields.join(", ")}` : "";
  return `${change.external_id} ${change.outcome}${fields}`;
}

function logItem(entry) {
  return h(
    "li",
    { class: `log-entry kind-${entry.kind}` },
    h("p", { class: "log-head" }, h("span", { class: `badge ${entry.kind === "error" || entry.kind === "refused" ? "failed" : ""}` }, entry.kind), " ", h("time", { datetime: entry.created_at }, fmtStamp(entry.created_at))),
    h("p", {}, entry.message),
    entry.changes.length ? h("ul", { class: "changes" }, ...entry.changes.map((ch) => h("li", {}, changeText(ch)))) : null,
    entry.platform_answer ? h("details", {}, h("summary", {}, "The platform's answer"), h("pre", {}, entry.platform_answer)) : null,
  );
}

function openLog(c) {
  logOf = c;
  $("connection-log-title").textContent = `Log of ${label(c)}`;
  show($("connection-log"), true);
  loadLog(false)
    .then(() => $("connection-log-title").focus())
    .catch((err) => err.status !== 401 && say($("connection-log-error"), problemText(err)));
}

function closeLog() {
  logOf = null;
  show($("connection-log"), false);
}

async function loadLog(more) {
  if (!logOf) return;
  say($("connection-log-error"), "");
  const params = new URLSearchParams({ limit: String(LOG_LIMIT) });
  const kind = $("connection-log-kind").value;
  if (kind) params.set("kind", kind);
  if (more && logCursor) params.set("before", logCursor);
  const page = await api(conf(`/connections/${logOf.id}/log?${params}`));
  const ul = $("connection-log-list");
  if (more) ul.append(...page.items.map(logItem));
  else ul.replaceChildren(...page.items.map(logItem));
  if (!ul.children.length) ul.append(h("li", { class: "muted" }, "Nothing in the log yet."));
  logCursor = page.next_cursor;
  show($("connection-log-more"), Boolean(logCursor));
}

function buildLog() {
  const kind = h("select", { id: "connection-log-kind" }, h("option", { value: "" }, "everything"), ...Object.entries(LOG_KINDS).map(([value, text]) => h("option", { value }, text)));
  kind.addEventListener("change", () => loadLog(false).catch((err) => err.status !== 401 && say($("connection-log-error"), problemText(err))));
  return h(
    "section",
    { class: "card", id: "connection-log", "aria-labelledby": "connection-log-title", hidden: true },
    h("h2", { id: "connection-log-title", tabindex: "-1" }, "Log"),
    h(
      "div",
      { class: "row" },
      h("label", { for: "connection-log-kind" }, "Show entries"),
      kind,
      h("button", { type: "button", onclick: () => loadLog(false).catch((err) => err.status !== 401 && say($("connection-log-error"), problemText(err))) }, "Refresh log"),
      h("button", { type: "button", onclick: closeLog }, "Close log"),
    ),
    h("p", { class: "error", id: "connection-log-error", role: "alert", hidden: true }),
    h("ul", { class: "log", id: "connection-log-list" }),
    h("button", { type: "button", id: "connection-log-more", hidden: true, onclick: () => loadLog(true).catch((err) => err.status !== 401 && say($("connection-log-error"), problemText(err))) }, "Older entries"),
  );
}

// --- the view --------------------------------------------------------------------------------

function init() {
  controls = buildForm();
  controls.platform.addEventListener("change", choosePlatform);
  controls.form.addEventListener("submit", create);
  $("view-connections").replaceChildren(
    h("h1", { id: "connections-title", tabindex: "-1" }, "Registration systems"),
    h(
      "p",
      { class: "muted" },
      "Connect the conference to its event on pretix, Tito or Eventbrite: attendees registered, " +
        "changed or cancelled there come in within seconds.",
    ),
    h("div", { class: "alert", id: "connection-new", role: "status", hidden: true }),
    h("ul", { class: "connection-list", id: "connection-list", "aria-labelledby": "connections-title" }),
    h("p", { class: "muted", id: "connection-empty", hidden: true }, "No registration system connected yet."),
    buildLog(),
    controls.form,
  );
  choosePlatform();
}

async function load() {
  await list();
  if (logOf) await loadLog(false);
}

function leave() {
  clearTimeout(syncTimer);
}

function reset() {
  clearTimeout(syncTimer);
  connections = [];
  closeLog();
  const box = $("connection-new");
  box.replaceChildren();
  show(box, false);
}

export const view = { name: "connections", init, load, leave, reset };
