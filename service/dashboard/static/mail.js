// E-mail: the three messages' texts, a preview for one attendee, sending, the log.

import { api, conf, problemText } from "./api.js";
import { $, h, show, toast } from "./dom.js";
import { stat } from "./overview.js";

const POLL_MS = 2000;
const MAIL_LABEL = { invitation: "Invitation", tables_ready: "Tables ready", table_changed: "Table changed" };

let timer = null;

function mailError(err) {
  const box = $("mail-error");
  if (!err) {
    show(box, false);
    return;
  }
  box.textContent = problemText(err);
  show(box, true);
}

async function loadTemplate() {
  const kind = $("mail-kind").value;
  const t = await api(conf(`/mail/templates/${kind}`));
  $("mail-subject").value = t.subject;
  $("mail-body").value = t.body;
  $("mail-fields").textContent = "Fields: " + Object.entries(t.fields).map(([k, v]) => `{{ ${k} }} (${v})`).join(", ");
}

async function loadStatus() {
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

async function load() {
  mailError(null);
  await loadTemplate();
  const status = await loadStatus();
  const busy = Object.values(status.progress).some((p) => p.queued + p.sending > 0);
  clearTimeout(timer);
  if (busy && location.hash.startsWith("#/mail")) timer = setTimeout(loadStatus, POLL_MS);
}

async function saveTemplate() {
  mailError(null);
  try {
    await api(conf(`/mail/templates/${$("mail-kind").value}`), { method: "PUT", body: { subject: $("mail-subject").value, body: $("mail-body").value } });
    toast("Text saved.");
  } catch (err) {
    mailError(err);
  }
}

async function preview() {
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

async function send() {
  mailError(null);
  const kind = $("mail-kind").value;
  if (!confirm(`Send "${MAIL_LABEL[kind]}" (the saved text) to everyone who has not had it yet?`)) return;
  try {
    const r = await api(conf(`/mail/${kind}:send`), { method: "POST" });
    toast(`${r.queued} queued; ${r.already} had it already.`);
    await load();
  } catch (err) {
    mailError(err);
  }
}

function init() {
  $("mail-kind").addEventListener("change", () => loadTemplate().catch((err) => mailError(err)));
  $("mail-save").addEventListener("click", saveTemplate);
  $("mail-preview").addEventListener("click", preview);
  $("mail-send").addEventListener("click", send);
}

export const view = { name: "mail", init, load };
