// Publishing with confidence: the plan's summary against the engine's own result, confirmed
// in a dialog; and, after a re-plan, who moved, from which table to which, and why.

import { api, conf, problemText } from "./api.js";
import { h, saveResponse, toast } from "./dom.js";
import { planName } from "./glossary.js";

/**
 * Show what publishing this plan means and ask to go on. Resolves to the summarised version
 * (to send as If-Match, so exactly what was shown goes live), or null when the organizer cancels.
 */
export async function confirmPublish(plan) {
  const summary = await api(conf(`/plans/${plan.id}/summary`));
  const messages = summary.messages || [];
  return new Promise((resolve) => {
    const publish = h("button", { type: "button", class: "primary" }, "Publish now");
    const cancel = h("button", { type: "button" }, "Cancel");
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "publish-title", "aria-describedby": "publish-intro" },
      h("h2", { id: "publish-title" }, `Publish “${summary.name || planName(plan)}”?`),
      h("p", { id: "publish-intro" }, "Attendees will see their tables at once. Before you publish:"),
      messages.length
        ? h("ul", { class: "summary-messages" }, messages.map((m) => h("li", {}, m)))
        : h("p", { class: "success" }, "Nothing to flag: the plan is as the matcher made it, every round is filled and everyone has a profile."),
      h("div", { class: "actions" }, publish, cancel),
    );
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    publish.addEventListener("click", () => close(summary.version));
    cancel.addEventListener("click", () => close(null));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** After a re-plan: who moved and why, in a panel placed after ``anchor`` (nothing otherwise). */
export async function showMoves(plan, anchor) {
  document.getElementById("review-moves")?.remove();
  let moves;
  try {
    moves = await api(conf(`/plans/${plan.id}/moves`));
  } catch (err) {
    if (err.status !== 401 && err.status !== 409) toast(problemText(err));
    return;
  }
  if (!moves.based_on_id) return;
  const total = moves.moved + moves.seated + moves.unseated;
  const csv = h("button", { type: "button", class: "small" }, "Download as CSV");
  csv.addEventListener("click", async () => {
    try {
      const response = await api(conf(`/plans/${plan.id}/moves.csv`), { raw: true });
      await saveResponse(response, "moves.csv");
    } catch (err) {
      toast(problemText(err));
    }
  });
  const rows = moves.moves.map((m) =>
    h(
      "tr",
      {},
      h("td", {}, m.round),
      h("th", { scope: "row" }, m.attendee.name),
      h("td", {}, m.from_table ?? "–"),
      h("td", {}, m.to_table ?? "–"),
      h("td", {}, m.detail),
    ),
  );
  const figures = (moves.figures || []).filter((f) => f.explanation).map((f) => h("li", {}, f.explanation));
  const panel = h(
    "details",
    { class: "card moves", id: "review-moves", open: total > 0 && total <= 20 },
    h("summary", {}, `Who moved since “${moves.based_on_name || "the published plan"}”: ${moves.moved} moved, ${moves.seated} newly seated, ${moves.unseated} no longer seated`),
    figures.length ? h("ul", { class: "warnings" }, figures) : null,
    total
      ? h(
          "div",
          { class: "scroll" },
          h(
            "table",
            { class: "compact" },
            h("caption", { class: "visually-hidden" }, "Who moved and why"),
            h("thead", {}, h("tr", {}, ["Round", "Name", "From table", "To table", "Why"].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, rows),
          ),
        )
      : h("p", { class: "muted" }, "Nobody moved."),
    h("p", {}, csv),
  );
  anchor.after(panel);
}
