// Attendees: the searchable list of registered people, their private links, the mail merge.

import { api, conf, problemText } from "./api.js";
import { $, fmtStamp, h, saveResponse, show, toast } from "./dom.js";
import * as importer from "./importer.js";
import { currentConference } from "./store.js";

let cursor = null;

/** Every attendee matching the query string (``&status=registered``), page by page. */
export async function allAttendees(params = "") {
  const items = [];
  let next = null;
  do {
    const query = `?limit=1000${params}${next ? `&cursor=${encodeURIComponent(next)}` : ""}`;
    const page = await api(conf(`/attendees${query}`));
    items.push(...page.items);
    next = page.next_cursor;
  } while (next);
  return items;
}

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
      h("button", { type: "button", class: "small", "aria-label": `Copy link of ${a.name}`, onclick: () => copyLink(a) }, "Copy link"),
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

export async function loadAttendees(more = false) {
  const tbody = $("attendee-table").tBodies[0];
  if (!more) {
    tbody.replaceChildren();
    cursor = null;
  }
  const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
  const page = await api(conf(`/attendees?limit=100${attendeeQuery()}${after}`));
  tbody.append(...page.items.map(attendeeRow));
  if (!tbody.rows.length) tbody.append(h("tr", {}, h("td", { colspan: 10, class: "muted" }, attendeeQuery() ? "Nobody matches." : "Nobody yet: import a file.")));
  $("attendee-count").textContent = `${page.total} ${page.total === 1 ? "person matches" : "people match"}.`;
  cursor = page.next_cursor;
  show($("attendees-more"), Boolean(page.next_cursor));
}

async function downloadMailMerge(format) {
  try {
    const response = await api(conf(`/mail-merge?format=${format}`), { raw: true });
    await saveResponse(response, `${currentConference().slug}-mail-merge.${format}`, false);
  } catch (err) {
    toast(problemText(err));
  }
}

function init() {
  importer.init({ imported: () => loadAttendees() });
  $("attendees-more").addEventListener("click", () => loadAttendees(true));
  $("attendee-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAttendees().catch((err) => toast(problemText(err)));
  });
  for (const button of document.querySelectorAll("[data-mail-merge]")) {
    button.addEventListener("click", () => downloadMailMerge(button.dataset.mailMerge));
  }
}

export const view = { name: "attendees", init, load: () => loadAttendees() };
