// Hallway organizer dashboard: sign-in, the conference choice and the route to each view.
// The API key lives only in sessionStorage (this tab) and travels as a Bearer header.

import { api, key, onUnauthorized, setKey } from "./api.js";
import { view as attendees } from "./attendees.js";
import * as conferences from "./conferences.js";
import { view as connections } from "./connections.js";
import { $, h, say, show, toast } from "./dom.js";
import { decorate } from "./glossary.js";
import { view as mail } from "./mail.js";
import { view as overview } from "./overview.js";
import { view as plans } from "./plans.js";
import { view as review } from "./review.js";
import { view as rounds } from "./rounds.js";
import * as store from "./store.js";
import { view as webhooks } from "./webhooks.js";

const VIEWS = Object.fromEntries([overview, attendees, rounds, plans, review, mail, connections, webhooks, conferences.view].map((v) => [v.name, v]));

function signOut(message) {
  setKey(null);
  store.forget();
  for (const v of Object.values(VIEWS)) if (v.leave) v.leave();
  show($("app"), false);
  show($("conference-pick"), false);
  show($("sign-out"), false);
  show($("signin"), true);
  say($("signin-error"), message || "");
  $("api-key").value = "";
  $("api-key").focus();
}

async function start(wanted = null) {
  if (!key()) {
    signOut();
    return;
  }
  let list;
  try {
    list = await api("/v1/conferences");
  } catch (err) {
    if (err.status !== 401) signOut(err.message);
    return;
  }
  store.setConferences(list);
  show($("signin"), false);
  show($("app"), true);
  show($("sign-out"), true);
  const select = $("conference-select");
  select.replaceChildren(...list.map((c) => h("option", { value: c.id }, `${c.name} (${c.slug})`)));
  show($("conference-pick"), list.length > 0);
  const saved = wanted || store.savedConferenceId();
  const chosen = list.find((c) => c.id === saved) || list[0] || null;
  await choose(chosen);
}

async function choose(conference) {
  store.chooseConference(conference);
  for (const v of Object.values(VIEWS)) {
    if (v.leave) v.leave();
    if (v.reset) v.reset();
  }
  if (conference) $("conference-select").value = conference.id;
  await route();
}

async function route() {
  let name = (location.hash.replace(/^#\/?/, "") || "overview").split("/")[0];
  if (!VIEWS[name]) name = "overview";
  if (!store.currentConference() && VIEWS[name].needsConference !== false) name = "none";
  for (const section of document.querySelectorAll("[data-section]")) {
    show(section, section.id === `view-${name}`);
  }
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  for (const [other, v] of Object.entries(VIEWS)) if (other !== name && v.leave) v.leave();
  if (VIEWS[name]) {
    try {
      await VIEWS[name].load();
    } catch (err) {
      if (err.status !== 401) toast(err.message);
    }
  }
}

function init() {
  onUnauthorized(signOut);
  decorate();
  for (const v of Object.values(VIEWS)) v.init();
  conferences.init({ whenCreated: (c) => start(c.id) });
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("api-key").value.trim();
    if (!value) return;
    setKey(value);
    $("api-key").value = "";
    await start();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("conference-select").addEventListener("change", (event) =>
    choose(store.knownConferences().find((c) => c.id === event.target.value) || null),
  );
  window.addEventListener("hashchange", () => {
    if (key()) route();
  });
  start();
}

// A module script runs after the document is parsed, like a deferred one.
init();
