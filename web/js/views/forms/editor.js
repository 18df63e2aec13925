// The instant form editor (a dialog): name, questions (text and type; add, remove, reorder), privacy policy URL
// and disclaimer. POST a new form; PUT an existing one with If-Match: a 409 reloads it and says so. The API's
// 4xx answers are shown next to the fields they name (error.problems[].field, e.g. "questions.1.question").

import { path } from "../../api.js";
import { openDialog } from "../../dialog.js";
import { announce, h, replace, spinner, uniqueId } from "../../dom.js";
import { state } from "../../state.js";

export const QUESTION_TYPES = [
  ["short_text", "Short answer"], ["long_text", "Paragraph"], ["name", "Name"], ["email", "Email"], ["phone", "Phone number"],
  ["single_choice", "Single choice"], ["multiple_choice", "Multiple choice"], ["date", "Date"], ["number", "Number"],
];

/** Opens the editor; `formId` edits that form (read fresh, for its version), none creates one. */
export function openFormEditor({ formId = null, onSaved = () => {} } = {}) {
  const accountId = state.account.id;
  const body = h("div", { class: "form-editor" }, spinner("Loading the form…"));
  const save = h("button", { type: "submit", class: "button button-primary", form: "form-editor-form" }, formId ? "Save form" : "Create form");
  const cancel = h("button", { type: "button", class: "button" }, "Cancel");
  const { close } = openDialog({ title: formId ? "Edit instant form" : "New instant form", body, actions: [cancel, save], className: "modal-wide" });
  cancel.addEventListener("click", () => close("cancel"));
  let current = null;
  let conflictNote = null;
  load();

  async function load() {
    save.disabled = true;
    if (!formId) {
      draw({ name: "", questions: [{ question: "Full name", type: "name" }, { question: "Phone number", type: "phone" }], privacy_policy_url: "", disclaimer: "" });
      return;
    }
    try {
      current = await state.api.get(path("accounts", accountId, "forms", formId));
      draw(current);
    } catch (error) {
      replace(body, h("p", { class: "form-error", role: "alert" }, error.message));
    }
  }

  function draw(form) {
    save.disabled = false;
    const errors = {};
    const withError = (key, labelText, control, hint = null) => {
      control.id = control.id || uniqueId("f");
      const line = h("p", { class: "field-error", id: uniqueId("error") });
      line.control = control;
      errors[key] = line;
      const hintLine = hint ? h("p", { class: "hint", id: uniqueId("hint") }, hint) : null;
      control.setAttribute("aria-describedby", [hintLine && hintLine.id, line.id].filter(Boolean).join(" "));
      return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control, hintLine, line);
    };
    const name = h("input", { type: "text", required: true, maxlength: 200, value: form.name || "" });
    const policy = h("input", { type: "url", maxlength: 2048, placeholder: "https://", value: form.privacy_policy_url || "" });
    const disclaimer = h("textarea", { rows: 3, maxlength: 2000, value: form.disclaimer || "" });
    const questions = h("ol", { class: "question-list" });
    const rows = [];
    const general = h("p", { class: "form-error", role: "alert" });

    const renumber = () => rows.forEach((row, index) => {
      row.label.textContent = `Question ${index + 1}`;
      row.type.setAttribute("aria-label", `Type of question ${index + 1}`);
      row.up.setAttribute("aria-label", `Move question ${index + 1} up`);
      row.down.setAttribute("aria-label", `Move question ${index + 1} down`);
      row.remove.setAttribute("aria-label", `Remove question ${index + 1}`);
      row.up.disabled = index === 0;
      row.down.disabled = index === rows.length - 1;
      row.remove.disabled = rows.length === 1;
    });
    const addQuestion = (question = { question: "", type: "short_text" }) => {
      const text = h("input", { type: "text", required: true, maxlength: 500, value: question.question, id: uniqueId("q") });
      const type = h("select", {}, QUESTION_TYPES.map(([value, label]) => h("option", { value }, label)));
      type.value = question.type || "short_text";
      const error = h("p", { class: "field-error", id: uniqueId("error") });
      error.control = text;
      text.setAttribute("aria-describedby", error.id);
      const label = h("label", { for: text.id });
      const up = h("button", { type: "button", class: "button button-small" }, "↑");
      const down = h("button", { type: "button", class: "button button-small" }, "↓");
      const remove = h("button", { type: "button", class: "button button-small button-quiet" }, "Remove");
      const item = h("li", { class: "question-row" }, label, h("div", { class: "question-controls" }, text, type, up, down, remove), error);
      const row = { item, text, type, label, up, down, remove, error };
      const move = (step) => {
        const index = rows.indexOf(row);
        rows.splice(index, 1);
        rows.splice(index + step, 0, row);
        questions.replaceChildren(...rows.map((r) => r.item));
        renumber();
        (step < 0 ? row.up : row.down).disabled ? text.focus() : (step < 0 ? row.up : row.down).focus();
      };
      up.addEventListener("click", () => move(-1));
      down.addEventListener("click", () => move(1));
      remove.addEventListener("click", () => {
        rows.splice(rows.indexOf(row), 1);
        item.remove();
        renumber();
        addButton.focus();
      });
      rows.push(row);
      questions.append(item);
      renumber();
      return text;
    };
    const addButton = h("button", { type: "button", class: "button button-small" }, "Add question");
    addButton.addEventListener("click", () => addQuestion().focus());
    (form.questions || []).forEach((q) => addQuestion(q));

    const formElement = h("form", { id: "form-editor-form", class: "stack", novalidate: true, "aria-label": "Instant form" },
      conflictNote ? h("p", { class: "notice notice-warning", role: "alert" }, conflictNote) : null,
      general,
      withError("name", "Form name", name),
      h("fieldset", { class: "fieldset" }, h("legend", {}, "Questions"), questions, addButton),
      withError("privacy_policy_url", "Privacy policy URL", policy, "https only. Without it the form saves, but no ad can use it."),
      withError("disclaimer", "Disclaimer (optional)", disclaimer, "Shown under the questions, up to 2000 characters."));
    conflictNote = null;
    formElement.addEventListener("submit", async (event) => {
      event.preventDefault();
      general.textContent = "";
      for (const line of [...Object.values(errors), ...rows.map((r) => r.error)]) setError(line, "");
      const payload = {
        name: name.value.trim(),
        questions: rows.map((row) => ({ question: row.text.value.trim(), type: row.type.value })),
      };
      if (policy.value.trim()) payload.privacy_policy_url = policy.value.trim();
      if (disclaimer.value.trim()) payload.disclaimer = disclaimer.value.trim();
      save.disabled = true;
      try {
        const saved = current
          ? await state.api.put(path("accounts", accountId, "forms", current.id), payload, { headers: { "If-Match": String(current.version) } })
          : await state.api.post(path("accounts", accountId, "forms"), payload);
        announce(`Form ${saved.name} saved.`);
        close("saved");
        onSaved(saved);
      } catch (error) {
        save.disabled = false;
        if (error.isConflict) {
          conflictNote = "Someone else changed this form meanwhile, so your changes were not saved. The latest version is shown; make your changes again.";
          announce(conflictNote, { tone: "error" });
          await load();
          return;
        }
        showErrors(error);
      }
    });

    function showErrors(error) {
      const problems = Array.isArray(error.details && error.details.problems) ? error.details.problems
        : [{ field: (error.details && error.details.field) || "", detail: error.message }];
      let first = null;
      const unplaced = [];
      for (const problem of problems) {
        const parts = String(problem.field || "").split(".").filter((p) => p && p !== "body");
        const line = parts[0] === "questions" && rows[Number(parts[1])] ? rows[Number(parts[1])].error : errors[parts[0]];
        const text = problem.detail || problem.problem || error.message;
        if (line) {
          setError(line, text);
          first = first || line.control;
        } else unplaced.push(parts[0] === "questions" ? `Questions: ${text}` : text);
      }
      if (unplaced.length || !first) general.textContent = unplaced.length ? unplaced.join(" ") : error.message;
      (first || name).focus();
    }

    replace(body, formElement);
    name.focus();
  }
}

function setError(line, text) {
  line.textContent = text;
  if (text) line.control.setAttribute("aria-invalid", "true");
  else line.control.removeAttribute("aria-invalid");
}
