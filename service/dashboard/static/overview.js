// Overview: the conference's headline counts and what is live.

import { api, conf } from "./api.js";
import { allAttendees } from "./attendees.js";
import { $, fmtStamp, h } from "./dom.js";
import { currentConference } from "./store.js";

export function stat(label, value, id) {
  return h("div", { class: "stat", id }, h("span", { class: "value" }, value), h("span", { class: "label" }, label));
}

async function load() {
  const c = currentConference();
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

export const view = { name: "overview", init() {}, load };
