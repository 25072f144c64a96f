// Labelled controls with a place for their own error, and a refused request (problem+json)
// shown next to the controls it names, with the focus moved to the first of them.

import { problemText } from "./api.js";
import { h, say } from "./dom.js";

/** A label, the control (which must have an id), optional help and the control's error line. */
export function field(label, control, help = "") {
  const id = control.id;
  const helpId = help ? `${id}-help` : null;
  control.setAttribute("aria-describedby", [helpId, `${id}-error`].filter(Boolean).join(" "));
  control.dataset.errorBox = `${id}-error`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    help ? h("p", { class: "muted small", id: helpId }, help) : null,
    h("p", { class: "error small field-error", id: `${id}-error`, hidden: true }),
  );
}

/** Clear the errors a refusal left on ``root`` (a form, a list item). */
export function clearErrors(root) {
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of root.querySelectorAll(".field-error")) say(el, "");
}

/** The body field a problem's error points at: "#/body/events/0" -> "events". */
function fieldName(error) {
  return (error.pointer || "").replace(/^#\/(body\/)?/, "").split("/")[0];
}

/**
 * Show a refusal: each error beside the control ``fields[name]`` names, the rest in ``general``.
 * The focus goes to the first control named, else stays on (or returns to) ``fallback``.
 */
export function showProblem(err, { fields = {}, general, fallback = null }) {
  let first = null;
  const rest = [];
  for (const e of (err.problem && err.problem.errors) || []) {
    const name = fieldName(e);
    const control = fields[name];
    const text = e.detail || e.message || "";
    if (!control) {
      if (text) rest.push(name ? `${name}: ${text}` : text);
      continue;
    }
    const box = document.getElementById(control.dataset.errorBox);
    say(box, box.hidden ? text : `${box.textContent} ${text}`);
    control.setAttribute("aria-invalid", "true");
    first = first || control;
  }
  say(general, first ? rest.join(" — ") : problemText(err));
  const target = first || fallback;
  if (target) target.focus();
}

/** An error line shown right after ``control`` (a row's button); replaced on the next try. */
export function errorAfter(control, text) {
  let box = control.parentElement.querySelector(`.row-error[data-for="${control.id}"]`);
  if (!box) {
    box = h("p", { class: "row-error", role: "alert", "data-for": control.id });
    control.parentElement.append(box);
  }
  say(box, text);
  control.focus();
}

/** Copy ``text`` to the clipboard; where the browser refuses, show it in a prompt to copy. */
export async function copy(text, what, toast) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied.`);
  } catch (_) {
    window.prompt(`${what}:`, text);
  }
}
