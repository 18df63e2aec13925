// Instant forms of the account: every role sees them; admins and operators create and edit them (editor.js).
// A form without a privacy policy saves, but no ad can use it: the list says so.
//   GET|POST /accounts/{a}/forms, GET|PUT /accounts/{a}/forms/{f} with If-Match

import { errorBox, h, notice, replace, spinner } from "../../dom.js";
import { formatDateTime, plural } from "../../format.js";
import { loadForms, state } from "../../state.js";
import { openFormEditor } from "./editor.js";

export function canEditForms(account = state.account) {
  return Boolean(account && (account.role === "admin" || account.role === "operator"));
}

export function render(container) {
  const editable = canEditForms();
  const list = h("div", { class: "form-list-area", "aria-busy": "true" }, spinner("Loading instant forms…"));
  const create = editable ? h("button", { type: "button", class: "button button-primary" }, "New form") : null;
  if (create) create.addEventListener("click", () => openFormEditor({ onSaved: (saved) => refresh(saved.id) }));
  replace(container, h("section", { class: "settings forms-screen", "aria-labelledby": "forms-title" },
    h("div", { class: "page-head" }, h("h2", { id: "forms-title" }, "Instant forms"), create),
    h("p", { class: "hint" }, "An instant form asks people who tap an ad for their details. Each form needs a privacy policy URL before an ad can use it; the disclaimer is shown under its questions."),
    editable ? null : notice("View only: admins and operators edit forms.", { tone: "info" }),
    list));
  refresh();

  async function refresh(focusId = null) {
    list.setAttribute("aria-busy", "true");
    try {
      const forms = await loadForms({ force: true });
      replace(list, forms.length
        ? h("ul", { class: "settings-list form-list" }, forms.map(formRow))
        : h("p", { class: "empty" }, editable ? "No instant forms yet. Create one with New form." : "No instant forms yet."));
      if (focusId) list.querySelector(`[data-form="${CSS.escape(focusId)}"]`)?.focus();
    } catch (error) {
      replace(list, errorBox(error, { retry: () => refresh() }));
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  function formRow(form) {
    const edit = editable ? h("button", { type: "button", class: "button button-small", dataset: { form: form.id },
      "aria-label": `Edit form ${form.name}` }, "Edit") : null;
    if (edit) edit.addEventListener("click", () => openFormEditor({ formId: form.id, onSaved: () => refresh(form.id) }));
    return h("li", { class: "form-item" },
      h("div", { class: "form-item-main" },
        h("h3", {}, form.name),
        h("p", { class: "muted" }, `${plural((form.questions || []).length, "question")} · version ${form.version} · updated ${formatDateTime(form.updated_at)}`),
        form.privacy_policy_url
          ? h("p", { class: "form-policy" }, "Privacy policy: ", h("a", { href: form.privacy_policy_url, rel: "noopener noreferrer", target: "_blank" }, form.privacy_policy_url))
          : h("p", { class: "form-policy warning-text" }, "No privacy policy: ads cannot use this form yet."),
        form.disclaimer ? h("p", { class: "hint" }, `Disclaimer: ${form.disclaimer}`) : null),
      edit);
  }
}
