// Conferences & keys (admin key): create a conference, make and revoke its keys.

import { api, problemText } from "./api.js";
import { $, fmtStamp, h, say, show, toast } from "./dom.js";
import { currentConference } from "./store.js";

const SCOPE_LABEL = { read: "read", write: "change", ingest: "send attendees in" };

let created = async () => {};

async function load() {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (tz && !$("conference-timezone").value) $("conference-timezone").placeholder = tz;
  await loadKeys();
}

async function loadKeys() {
  const conference = currentConference();
  show($("keys-card"), Boolean(conference));
  if (!conference) return;
  $("keys-title").textContent = `Keys of ${conference.name}`;
  const tbody = $("key-table").tBodies[0];
  let keys;
  try {
    keys = await api(`/v1/conferences/${conference.id}/keys`);
  } catch (err) {
    if (err.status === 401) return;
    tbody.replaceChildren();
    $("keys-note").textContent = err.status === 403 ? "Only an admin key lists and makes a conference's keys." : problemText(err);
    show($("key-form"), false);
    return;
  }
  $("keys-note").textContent = "Give each team or system its own key; revoke one and it stops working at once.";
  show($("key-form"), true);
  tbody.replaceChildren(
    ...keys.map((k) =>
      h(
        "tr",
        {},
        h("td", {}, k.name || "–"),
        h("td", {}, h("code", {}, k.prefix)),
        h("td", {}, k.scopes.map((s) => SCOPE_LABEL[s] || s).join(", ")),
        h("td", {}, k.last_used_at ? fmtStamp(k.last_used_at) : "never"),
        h("td", {}, k.revoked_at ? `revoked ${fmtStamp(k.revoked_at)}` : "works"),
        h(
          "td",
          {},
          k.revoked_at
            ? ""
            : h("button", { type: "button", class: "small danger", "aria-label": `Revoke the key ${k.name || k.prefix}`, onclick: () => revoke(k) }, "Revoke"),
        ),
      ),
    ),
  );
  if (!keys.length) tbody.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No keys yet.")));
}

async function revoke(k) {
  if (!confirm(`Revoke the key ${k.name || k.prefix}? Whoever uses it is locked out at once.`)) return;
  try {
    await api(`/v1/conferences/${currentConference().id}/keys/${k.id}`, { method: "DELETE" });
    toast("Key revoked.");
    await loadKeys();
  } catch (err) {
    toast(problemText(err));
  }
}

async function makeKey(event) {
  event.preventDefault();
  const scopes = [...event.target.querySelectorAll('input[name="scope"]:checked')].map((el) => el.value);
  if (!scopes.length) {
    say($("key-error"), "Tick at least one thing the key may do.");
    return;
  }
  try {
    const made = await api(`/v1/conferences/${currentConference().id}/keys`, {
      method: "POST",
      body: { name: $("key-name").value.trim(), scopes },
    });
    say($("key-error"), "");
    $("key-secret").textContent = made.key;
    show($("key-new"), true);
    $("key-copy").focus();
    event.target.reset();
    await loadKeys();
  } catch (err) {
    say($("key-error"), problemText(err));
  }
}

async function createConference(event) {
  event.preventDefault();
  const body = {};
  for (const el of event.target.elements) {
    if (el.name && el.value.trim()) body[el.name] = el.value.trim();
  }
  if (!body.timezone) body.timezone = $("conference-timezone").placeholder || "UTC";
  try {
    const conference = await api("/v1/conferences", { method: "POST", body });
    say($("conference-error"), "");
    event.target.reset();
    toast(`Created ${conference.name}.`);
    await created(conference);
  } catch (err) {
    say($("conference-error"), problemText(err));
  }
}

/** ``whenCreated`` runs with a new conference (the app lists and chooses it). */
export function init({ whenCreated }) {
  created = whenCreated;
  $("conference-form").addEventListener("submit", createConference);
  $("key-form").addEventListener("submit", makeKey);
  $("key-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText($("key-secret").textContent);
      toast("Key copied.");
    } catch (_) {
      window.prompt("The new key:", $("key-secret").textContent);
    }
  });
}

export const view = { name: "conferences", init() {}, load, needsConference: false };
