// Importing an attendee file: check first (nothing written), adjust the column mapping and the
// handling of flagged rows, then import everything or only the good rows.

import { api, conf, problemText } from "./api.js";
import { $, h, say, show, toast } from "./dom.js";

let file = null;
// The organizer's changes: { columns: {header: target}, placeholders: {kind: action} }
let mapping = null;
let onImported = async () => {};

const KIND_LABELS = {
  info_requested: "“Info Requested” placeholders",
  email_as_name: "E-mail addresses as names",
  test_entry: "Test entries",
  duplicate_person: "One person under two tickets",
};
const ACTION_LABELS = {
  buyer_name: "use the buyer’s name",
  needs_details: "import as “needs details”",
  skip: "skip",
  import: "import anyway",
};

async function runImport(mode) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (mapping) form.append("mapping", JSON.stringify(mapping));
  const query = mode === "check" ? "?dry_run=true" : mode === "skip" ? "?skip_invalid=true" : "";
  return api(conf(`/attendees/import${query}`), { method: "POST", body: form });
}

function changeMapping(part, name, value) {
  mapping = mapping || { columns: {}, placeholders: {} };
  mapping[part][name] = value;
  checkImport();
}

function showMapping(columns, targets) {
  const tbody = $("import-mapping").tBodies[0];
  tbody.replaceChildren(
    ...columns.map((c, index) => {
      const id = `import-target-${index}`;
      const select = h(
        "select",
        { id, "data-header": c.header, onchange: (e) => changeMapping("columns", c.header, e.target.value) },
        ...Object.entries(targets).map(([target, label]) =>
          h("option", { value: target, selected: target === c.target }, label),
        ),
      );
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, h("label", { for: id }, c.header)),
        h("td", {}, select),
        h("td", {}, c.recognised_by),
        h("td", { class: "muted" }, c.samples.join(" · ")),
      );
    }),
  );
  show($("import-mapping-wrap"), columns.length > 0);
}

function showFlagged(result) {
  const kinds = [...new Set(result.flagged.map((f) => f.kind))];
  $("import-placeholder-choices").replaceChildren(
    ...kinds.map((kind) => {
      const id = `import-action-${kind}`;
      const chosen = result.mapping ? result.mapping.placeholders[kind] : null;
      return h(
        "div",
        { class: "field" },
        h("label", { for: id }, KIND_LABELS[kind] || kind),
        h(
          "select",
          { id, onchange: (e) => changeMapping("placeholders", kind, e.target.value) },
          ...(result.placeholder_actions[kind] || []).map((action) =>
            h("option", { value: action, selected: action === chosen }, ACTION_LABELS[action] || action),
          ),
        ),
      );
    }),
  );
  $("import-flagged").tBodies[0].replaceChildren(
    ...result.flagged.map((f) =>
      h(
        "tr",
        {},
        h("td", {}, f.row),
        h("td", {}, KIND_LABELS[f.kind] || f.kind),
        h("td", {}, f.name),
        h("td", {}, (ACTION_LABELS[f.action] || f.action) + (f.note ? ` (${f.note})` : "")),
      ),
    ),
  );
  show($("import-flagged-wrap"), result.flagged.length > 0);
}

function showImport(result, problems) {
  const c = result && result.counts;
  const counts = [
    ["Rows", result ? result.rows : "–"],
    [result && result.applied ? "Created" : "New", result ? result.created : "–"],
    [result && result.applied ? "Updated" : "Changed", result ? result.updated : "–"],
    ["Unchanged", result ? result.unchanged : "–"],
    ["To be seated", c ? c.seated : "–"],
    ["Solo", c ? c.solo : "–"],
    ["Dinner", c ? c.dinner : "–"],
    ["Blank profiles", c ? c.blank_profiles : "–"],
    ["Cancelled", c ? c.cancelled : "–"],
    ["Needs details", c ? c.needs_details : "–"],
    ["Skipped", c ? c.skipped : "–"],
    ["Erased earlier, left out", result ? (result.erased || []).length : "–"],
    ["Rows with problems", result ? result.invalid : problems.length],
  ];
  $("import-counts").replaceChildren(
    ...counts.flatMap(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
  const tbody = $("import-problems").tBodies[0];
  tbody.replaceChildren(
    ...problems.map((p) =>
      h("tr", {}, h("td", {}, p.row ?? ""), h("td", {}, p.column ?? ""), h("td", {}, p.message ?? p.detail ?? "")),
    ),
  );
  show($("import-problems-wrap"), problems.length > 0);
}

async function checkImport(event) {
  if (event) {
    // A new file: start from its saved or recognised mapping.
    event.preventDefault();
    const chosen = $("import-file").files[0];
    if (!chosen) return;
    file = chosen;
    mapping = null;
  }
  if (!file) return;
  $("import-filename").textContent = file.name;
  say($("import-done"), "");
  show($("import-result"), true);
  show($("import-apply"), false);
  show($("import-skip"), false);
  try {
    const result = await runImport("check");
    showImport(result, result.problems);
    showMapping(result.columns, result.targets);
    showFlagged(result);
    $("import-mapping-note").dataset.source = result.mapping_source;
    const good = result.created + result.updated + result.unchanged;
    show($("import-apply"), result.problems.length === 0 && good > 0);
    show($("import-skip"), result.problems.length > 0 && good > 0);
    $("import-skip").textContent = `Import the ${good} good rows`;
  } catch (err) {
    // The file as a whole cannot be read: a problem without rows. When no id or name column
    // was recognised, the answer lists the columns so that one can be mapped.
    showImport(null, [{ row: "", column: "", message: problemText(err) }]);
    const columns = (err.problem && err.problem.columns) || [];
    showMapping(columns, (err.problem && err.problem.targets) || {});
    show($("import-flagged-wrap"), false);
  }
}

async function applyImport(mode) {
  try {
    const result = await runImport(mode);
    showImport(result, result.problems);
    show($("import-apply"), false);
    show($("import-skip"), false);
    say(
      $("import-done"),
      `Imported: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged` +
        (result.invalid ? `, ${result.invalid} rows skipped.` : "."),
    );
    $("import-file").value = "";
    mapping = null;
    await onImported();
  } catch (err) {
    toast(problemText(err));
  }
}

/** Wire the import form; ``imported`` runs after a file went in (to refresh the list). */
export function init({ imported }) {
  onImported = imported;
  $("import-form").addEventListener("submit", checkImport);
  $("import-apply").addEventListener("click", () => applyImport("all"));
  $("import-skip").addEventListener("click", () => applyImport("skip"));
  $("import-cancel").addEventListener("click", () => {
    show($("import-result"), false);
    $("import-file").value = "";
  });
}
