// Outbound webhooks: which systems hear about plans and attendees, whether each is enabled (and
// if not, why), the delivery log with the receiver's answers, and re-sending a delivery.

import { api, conf, problemText } from "./api.js";
import { $, fmtStamp, h, say, show, toast } from "./dom.js";
import { clearErrors, copy, errorAfter, field, showProblem } from "./forms.js";

const EVENTS = {
  "plan.published": "a plan is published",
  "plan.replanned": "a re-plan is published (who moved)",
  "attendee.created": "an attendee is added",
  "attendee.updated": "an attendee changes",
  "attendee.cancelled": "an attendee cancels",
  "attendee.profile_written": "an attendee saves their page",
};
const DELIVERY_LIMIT = 50;
const LOG_POLL_MS = 2000;
const LOG_POLL_LIMIT = 30; // a minute of watching after a re-send; Refresh reads later ones

let controls = null;
let webhooks = [];
let logOf = null; // the webhook whose delivery log is open
let logTimer = null;
let logCursor = null;
let polls = 0;

function buildForm() {
  const c = {
    url: h("input", { id: "webhook-url", name: "url", type: "url", required: true, maxlength: 2000, autocomplete: "off", spellcheck: "false", placeholder: "https://app.example.com/hallway" }),
    description: h("input", { id: "webhook-description", name: "description", maxlength: 200, autocomplete: "off", placeholder: "Event app" }),
    error: h("p", { class: "error", id: "webhook-error", role: "alert", hidden: true }),
    submit: h("button", { type: "submit", class: "primary" }, "Create webhook"),
  };
  c.events = Object.entries(EVENTS).map(([value, text]) =>
    h("label", { class: "inline event-choice" }, h("input", { type: "checkbox", name: "events", value }), h("code", {}, value), ` ${text}`),
  );
  c.firstEvent = c.events[0].querySelector("input");
  c.firstEvent.id = "webhook-events-first";
  c.firstEvent.dataset.errorBox = "webhook-events-error";
  c.firstEvent.setAttribute("aria-describedby", "webhook-events-error");
  c.form = h(
    "form",
    { id: "webhook-form", class: "card" },
    h("h2", {}, "Create a webhook"),
    h(
      "div",
      { class: "grid" },
      field("Receiver URL", c.url, "https:// on a public address. Each request is signed (Standard Webhooks)."),
      field("Note (optional)", c.description),
    ),
    h(
      "fieldset",
      { class: "events" },
      h("legend", {}, "Send when"),
      ...c.events,
      h("p", { class: "error small field-error", id: "webhook-events-error", hidden: true }),
    ),
    c.submit,
    c.error,
  );
  return c;
}

async function create(event) {
  event.preventDefault();
  const c = controls;
  clearErrors(c.form);
  say(c.error, "");
  const events = [...c.form.querySelectorAll('input[name="events"]:checked')].map((el) => el.value);
  if (!events.length) {
    say($("webhook-events-error"), "Tick at least one event to send.");
    c.firstEvent.setAttribute("aria-invalid", "true");
    c.firstEvent.focus();
    return;
  }
  try {
    const made = await api(conf("/webhooks"), {
      method: "POST",
      body: { url: c.url.value.trim(), events, description: c.description.value.trim() },
    });
    c.form.reset();
    showSecret(made);
    await list();
  } catch (err) {
    if (err.status !== 401) showProblem(err, { fields: { url: c.url, events: c.firstEvent, description: c.description }, general: c.error, fallback: c.submit });
  }
}

/** The signing secret, this once (after a rotation: with how long the old one still signs). */
function showSecret(webhook, rotated = false) {
  const box = $("webhook-new");
  const until = webhook.previous_secret_until;
  box.replaceChildren(
    h("h2", { id: "webhook-new-title", tabindex: "-1" }, rotated ? `New signing secret for ${webhook.url}` : `Webhook to ${webhook.url} created`),
    h("p", {}, "Its signing secret, shown only this once: keep it with the receiver to check each request's signature."),
    rotated
      ? h("p", {}, until ? `Until ${fmtStamp(until)} every request is signed with the old secret too, so the receiver can switch to the new one without refusing anything.` : "The old secret no longer signs anything.")
      : null,
    h(
      "p",
      { class: "secret" },
      h("code", { id: "webhook-secret" }, webhook.secret),
      " ",
      h("button", { type: "button", class: "small", onclick: () => copy(webhook.secret, "Signing secret", toast) }, "Copy secret"),
    ),
    h("button", { type: "button", class: "small", onclick: () => {
      box.replaceChildren();
      show(box, false);
      $("webhooks-title").focus();
    } }, "I have kept it"),
  );
  show(box, true);
  $("webhook-new-title").focus();
}

function countsText(d) {
  const parts = [`${d.delivered} delivered`];
  if (d.pending + d.sending) parts.push(`${d.pending + d.sending} waiting`);
  if (d.failed) parts.push(`${d.failed} failed`);
  return parts.join(", ");
}

function item(w) {
  const id = `webhook-${w.id}`;
  const name = w.description ? `${w.description} (${w.url})` : w.url;
  return h(
    "li",
    { class: "card webhook", id },
    h("h3", {}, h("span", { class: "url" }, w.url), " ", h("span", { class: `badge ${w.enabled ? "published" : "failed"}` }, w.enabled ? "enabled" : "disabled")),
    w.description ? h("p", { class: "muted" }, w.description) : null,
    w.enabled
      ? null
      : h(
          "p",
          { class: "alert", id: `${id}-disabled` },
          `Disabled ${fmtStamp(w.disabled_at)}: ${(w.disabled_reason || "paused").replace(/\.+$/, "")}. ` +
            (w.deliveries.failed ? "Nothing is sent to it until you enable it; then send again what failed." : "Nothing is sent to it until you enable it."),
        ),
    h("dl", { class: "facts" }, h("dt", {}, "Events"), h("dd", {}, w.events.join(", ")), h("dt", {}, "Deliveries"), h("dd", {}, countsText(w.deliveries))),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: `${id}-log`, "aria-label": `Delivery log of ${name}`, onclick: () => openLog(w) }, "Delivery log"),
      h(
        "button",
        { type: "button", id: `${id}-toggle`, "aria-label": `${w.enabled ? "Disable" : "Enable"} ${name}`, onclick: (e) => toggle(w, e.currentTarget) },
        w.enabled ? "Disable" : "Enable",
      ),
      h("button", { type: "button", id: `${id}-rotate`, "aria-label": `New secret for ${name}`, onclick: (e) => rotate(w, e.currentTarget) }, "New secret"),
      h("button", { type: "button", class: "danger", id: `${id}-delete`, "aria-label": `Delete ${name}`, onclick: (e) => remove(w, e.currentTarget) }, "Delete"),
    ),
    w.previous_secret_until ? h("p", { class: "muted" }, `The old signing secret also signs until ${fmtStamp(w.previous_secret_until)}.`) : null,
  );
}

async function rotate(w, button) {
  if (!confirm(`Make a new signing secret for ${w.url}? The old one keeps signing for 24 hours beside it, then stops.`)) return;
  try {
    const made = await api(conf(`/webhooks/${w.id}/secret`), { method: "POST", body: { keep_old_for_hours: 24 } });
    await list();
    showSecret(made, true);
  } catch (err) {
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

async function list() {
  webhooks = (await api(conf("/webhooks"))).items;
  $("webhook-list").replaceChildren(...webhooks.map(item));
  show($("webhook-empty"), !webhooks.length);
  const disabled = webhooks.filter((w) => !w.enabled);
  say($("webhook-disabled-note"), disabled.length ? `${disabled.length === 1 ? "A webhook is" : `${disabled.length} webhooks are`} disabled: see why below.` : "");
  if (logOf) {
    logOf = webhooks.find((w) => w.id === logOf.id) || null;
    if (!logOf) closeLog();
  }
}

async function toggle(w, button) {
  const enabled = !w.enabled;
  if (!enabled && !confirm(`Disable the webhook to ${w.url}? Nothing is sent to it until you enable it again.`)) return;
  try {
    await api(conf(`/webhooks/${w.id}`), { method: "PATCH", body: { enabled } });
    toast(enabled ? "Webhook enabled: what was waiting goes now." : "Webhook disabled.");
    await list();
    $(`webhook-${w.id}-toggle`)?.focus();
    if (logOf && logOf.id === w.id) await loadLog();
  } catch (err) {
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

async function remove(w, button) {
  if (!confirm(`Delete the webhook to ${w.url}? Nothing more is sent to it and its delivery log is forgotten.`)) return;
  try {
    await api(conf(`/webhooks/${w.id}`), { method: "DELETE" });
    toast("Webhook deleted.");
    if (logOf && logOf.id === w.id) closeLog();
    await list();
    $("webhooks-title").focus();
  } catch (err) {
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

// --- the delivery log ------------------------------------------------------------------------

function receiverText(d) {
  if (d.last_status_code) return `answered ${d.last_status_code}`;
  return d.attempts ? "no answer" : "not tried yet";
}

function deliveryItem(d) {
  const id = `delivery-${d.id}`;
  const when = fmtStamp(d.created_at);
  const badge = { delivered: "published", failed: "failed", pending: "queued", sending: "running" }[d.status];
  return h(
    "li",
    { class: "log-entry", id },
    h("p", { class: "log-head" }, h("code", {}, d.event_type), " ", h("span", { class: `badge ${badge}` }, d.status), " ", h("time", { datetime: d.created_at }, when)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Attempts"),
      h("dd", {}, String(d.attempts)),
      h("dt", {}, "Receiver"),
      h("dd", {}, receiverText(d)),
      d.last_error ? [h("dt", {}, "Error"), h("dd", { class: "error-text" }, d.last_error)] : null,
      d.delivered_at ? [h("dt", {}, "Delivered"), h("dd", {}, fmtStamp(d.delivered_at))] : null,
      d.next_attempt_at && d.status !== "delivered" ? [h("dt", {}, "Next attempt"), h("dd", {}, fmtStamp(d.next_attempt_at))] : null,
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "small", id: `${id}-resend`, "aria-label": `Send again: ${d.event_type} of ${when}`, onclick: (e) => resend(d, e.currentTarget) }, "Send again"),
    ),
  );
}

async function resend(d, button) {
  button.disabled = true;
  try {
    await api(conf(`/webhooks/${logOf.id}/deliveries/${d.id}/resend`), { method: "POST" });
    toast("Sending it again now.");
    polls = 0;
    await loadLog();
    $(`delivery-${d.id}-resend`)?.focus();
    watch();
  } catch (err) {
    button.disabled = false;
    if (err.status !== 401) errorAfter(button, problemText(err));
  }
}

/** Re-read the log while something is waiting to go, a bounded number of times. */
function watch() {
  clearTimeout(logTimer);
  logTimer = setTimeout(async () => {
    polls += 1;
    let waiting = false;
    try {
      waiting = await loadLog();
    } catch (err) {
      return;
    }
    if (waiting && polls < LOG_POLL_LIMIT) watch();
    // Settled: the list's counts too, unless the keyboard is in the list (it would be redrawn).
    else if (!$("webhook-list").contains(document.activeElement)) await list().catch(() => {});
  }, LOG_POLL_MS);
}

function openLog(w) {
  logOf = w;
  $("webhook-log-title").textContent = `Deliveries to ${w.url}`;
  show($("webhook-log"), true);
  loadLog()
    .then(() => $("webhook-log-title").focus())
    .catch((err) => err.status !== 401 && say($("webhook-log-error"), problemText(err)));
}

function closeLog() {
  clearTimeout(logTimer);
  logOf = null;
  show($("webhook-log"), false);
}

/** Read the open log (``more``: the next older page); true when a delivery shown waits to go. */
async function loadLog(more = false) {
  if (!logOf) return false;
  say($("webhook-log-error"), "");
  const params = new URLSearchParams({ limit: String(DELIVERY_LIMIT) });
  const status = $("webhook-log-status").value;
  if (status) params.set("status", status);
  if (more && logCursor) params.set("cursor", logCursor);
  const page = await api(conf(`/webhooks/${logOf.id}/deliveries?${params}`));
  const ul = $("webhook-log-list");
  if (more) ul.append(...page.items.map(deliveryItem));
  else ul.replaceChildren(...page.items.map(deliveryItem));
  if (!ul.children.length) ul.append(h("li", { class: "muted" }, "No deliveries yet."));
  logCursor = page.next_cursor || null;
  show($("webhook-log-more"), Boolean(logCursor));
  const shown = ul.querySelectorAll(".log-entry").length;
  say($("webhook-log-count"), page.total > shown ? `The newest ${shown} of ${page.total}.` : "");
  return page.items.some((d) => d.status === "pending" || d.status === "sending");
}

function buildLog() {
  const status = h(
    "select",
    { id: "webhook-log-status" },
    h("option", { value: "" }, "every delivery"),
    ...["pending", "sending", "delivered", "failed"].map((s) => h("option", { value: s }, s)),
  );
  // The list's counts change with the log: read both.
  const reload = () =>
    list()
      .then(() => loadLog())
      .catch((err) => err.status !== 401 && say($("webhook-log-error"), problemText(err)));
  status.addEventListener("change", reload);
  return h(
    "section",
    { class: "card", id: "webhook-log", "aria-labelledby": "webhook-log-title", hidden: true },
    h("h2", { id: "webhook-log-title", tabindex: "-1" }, "Deliveries"),
    h(
      "div",
      { class: "row" },
      h("label", { for: "webhook-log-status" }, "Show deliveries"),
      status,
      h("button", { type: "button", onclick: reload }, "Refresh deliveries"),
      h("button", { type: "button", onclick: closeLog }, "Close log"),
    ),
    h("p", { class: "error", id: "webhook-log-error", role: "alert", hidden: true }),
    h("p", { class: "muted small", id: "webhook-log-count", hidden: true }),
    h("ul", { class: "log", id: "webhook-log-list" }),
    h("button", { type: "button", id: "webhook-log-more", hidden: true, onclick: () => loadLog(true).catch((err) => err.status !== 401 && say($("webhook-log-error"), problemText(err))) }, "Older deliveries"),
  );
}

// --- the view --------------------------------------------------------------------------------

function init() {
  controls = buildForm();
  controls.form.addEventListener("submit", create);
  $("view-webhooks").replaceChildren(
    h("h1", { id: "webhooks-title", tabindex: "-1" }, "Webhooks"),
    h(
      "p",
      { class: "muted" },
      "Other systems (the event app, a chat bot, a badge printer) hear when tables are published " +
        "and when attendees change. Failed deliveries are tried again for about a day.",
    ),
    h("p", { class: "alert", id: "webhook-disabled-note", role: "status", hidden: true }),
    h("div", { class: "alert", id: "webhook-new", role: "status", hidden: true }),
    h("ul", { class: "connection-list", id: "webhook-list", "aria-labelledby": "webhooks-title" }),
    h("p", { class: "muted", id: "webhook-empty", hidden: true }, "No webhooks yet."),
    buildLog(),
    controls.form,
  );
}

async function load() {
  await list();
  if (logOf) await loadLog();
  else closeLog();
}

function leave() {
  clearTimeout(logTimer);
}

function reset() {
  clearTimeout(logTimer);
  webhooks = [];
  closeLog();
  const box = $("webhook-new");
  box.replaceChildren();
  show(box, false);
}

export const view = { name: "webhooks", init, load, leave, reset };
