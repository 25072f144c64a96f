// Plain words for every figure: a label, a one-line explanation shown on hover and focus, and
// the same lines as a glossary. One definition for the whole dashboard.

import { fmtStamp, h } from "./dom.js";

export const FIGURES = {
  kindred_share_min: ["Has someone with shared interests at the table (lowest round)", "Share of people with at least one tablemate whose profile is close to theirs (the closest tenth of all pairs), in the round where that share is lowest."],
  kindred_share: ["Has someone with shared interests", "Share of people in this round with at least one tablemate whose profile is close to theirs."],
  diversity_ratio_min: ["Mix of interests (lowest round; 1.00 is as mixed as chance)", "How different tablemates' profiles are, against tables drawn at random: 1.00 is as mixed as chance, lower means tables of like-minded people."],
  diversity_ratio: ["Mix of interests", "How different tablemates' profiles are, against tables drawn at random: 1.00 is as mixed as chance."],
  coworker_pairs: ["Co-worker pairs at one table", "Pairs from the same company or party seated together; 'at least' is the unavoidable number when a company has more people than there are tables."],
  repeated_pairs: ["Pairs who meet again", "Two people who share a table in more than one round, published rounds included."],
  solo_spread_max: ["Solo attendees: uneven spread (largest)", "Most minus fewest people who came alone per table, in the round where it is largest; 0 or 1 means they are spread evenly."],
  solo_spread: ["Solo attendees: uneven spread", "Most minus fewest people who came alone per table; 0 or 1 means they are spread evenly."],
  hard_violations: ["Hard rules broken", "Seats, table sizes, pins, keep-apart and keep-together rules that do not hold; a good plan has 0."],
  version: ["Version", "Goes up with every edit; it is sent back with each edit so two organizers never overwrite each other."],
  moved: ["Moved by the re-plan", "Seats (person and round) that a re-plan changed from the published plan."],
  seed: ["Seed", "A number that fixes the matcher's random start: the same seed and the same people give the same plan. Leave it empty for a fresh one."],
  time_budget: ["Time budget", "How many seconds the matcher may search (30 when empty); it says so when it stopped on the budget."],
  table_common_ground: ["closeness", "Average similarity of each person to their closest tablemate, from 0 (nothing in common) to 1."],
  table_diversity: ["mix", "Average difference between the tablemates' profiles, from 0 (all alike) to 1."],
  table_kindred: ["with a kindred mate", "People at this table who have a tablemate with a close profile."],
  table_hometowns: ["home towns", "Different home towns at this table."],
  table_first_timers: ["first-timers", "People at this table who come for the first time."],
  table_solo: ["came alone", "People at this table who came on their own."],
};

let tips = 0;

/**
 * A figure's plain label with its explanation on hover and keyboard focus.
 * ``quiet`` labels (inside table cards, many per page) explain on hover only, keeping the tab
 * order short; the glossary holds the same lines for everyone.
 */
export function figureLabel(key, quiet = false) {
  const [label, explain] = FIGURES[key] || [key, ""];
  if (quiet) return h("span", { class: "term quiet", title: explain }, label);
  tips += 1;
  const id = `tip-${tips}`;
  return h(
    "span",
    { class: "term-wrap" },
    h("span", { class: "term", tabindex: "0", "aria-describedby": id }, label),
    h("span", { class: "tip", role: "tooltip", id }, explain),
  );
}

/** The glossary: every figure's label and line, as a description list. */
export function glossary() {
  return h(
    "dl",
    { class: "glossary" },
    Object.values(FIGURES).flatMap(([label, explain]) => [h("dt", {}, label), h("dd", {}, explain)]),
  );
}

/** What a plan is called: its name when it has one, else when it was made. */
export function planName(p) {
  return p.name || `Plan of ${fmtStamp(p.created_at)}`;
}

/** Fill the page's glossary boxes, explanations and figure headings (once, at start). */
export function decorate() {
  for (const holder of document.querySelectorAll("[data-glossary]")) holder.replaceChildren(glossary());
  for (const el of document.querySelectorAll("[data-explain]")) el.textContent = (FIGURES[el.dataset.explain] || ["", ""])[1];
  for (const el of document.querySelectorAll("[data-figure]")) el.replaceChildren(figureLabel(el.dataset.figure));
}
