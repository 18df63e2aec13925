// Label settings: list, create, rename, delete.

import { path } from "../api.js";
import { confirmDialog } from "../dialog.js";
import { announce, errorBox, field, h, replace, spinner } from "../dom.js";
import { formatDate } from "../format.js";
import { loadLabels, state } from "../state.js";

export function render(container) {
  const accountId = state.account.id;
  const list = h("div", { class: "label-list" }, spinner("Loading labels…"));
  const nameInput = h("input", { type: "text", name: "name", required: true, maxlength: 50, autocomplete: "off" });
  const create = h("form", { class: "inline-form", "aria-label": "Create a label" },
    field("New label", nameInput), h("button", { type: "submit", class: "button button-primary" }, "Create label"));
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    try {
      await state.api.post(path("accounts", accountId, "labels"), { name });
      nameInput.value = "";
      announce(`Label ${name} created.`);
      await refresh();
      nameInput.focus();
    } catch (error) {
      announce(error.message, { tone: "error" });
      nameInput.focus();
    }
  });

  replace(container, h("section", { class: "settings", "aria-labelledby": "labels-title" },
    h("div", { class: "page-head" }, h("h2", { id: "labels-title" }, "Labels")),
    h("p", { class: "hint" }, "Labels sort leads your own way, e.g. Hot or Follow-up. Deleting a label removes it from every lead."),
    create, list));

  async function refresh() {
    try {
      const labels = await loadLabels({ force: true });
      replace(list, labels.length
        ? h("ul", { class: "settings-list" }, labels.map(labelRow))
        : h("p", { class: "empty" }, "No labels yet. Create the first one above."));
    } catch (error) {
      replace(list, errorBox(error, { retry: refresh }));
    }
  }

  function labelRow(label) {
    const item = h("li", { class: "settings-item", dataset: { id: label.id } });
    const show = () => {
      const rename = h("button", { type: "button", class: "button button-small", "aria-label": `Rename ${label.name}` }, "Rename");
      const remove = h("button", { type: "button", class: "button button-small button-danger", "aria-label": `Delete ${label.name}` }, "Delete");
      rename.addEventListener("click", edit);
      remove.addEventListener("click", () => removeLabel(remove));
      replace(item, h("span", { class: "chip" }, label.name),
        label.created_at ? h("span", { class: "muted" }, `created ${formatDate(label.created_at)}`) : null,
        h("span", { class: "row" }, rename, remove));
      return rename;
    };
    const edit = () => {
      const input = h("input", { type: "text", required: true, maxlength: 50, value: label.name });
      const save = h("button", { type: "submit", class: "button button-primary button-small" }, "Save");
      const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
      const form = h("form", { class: "inline-form" }, field(`New name for ${label.name}`, input), save, cancel);
      cancel.addEventListener("click", () => show().focus());
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const renamed = await state.api.patch(path("accounts", accountId, "labels", label.id), { name: input.value.trim() });
          announce(`Label ${label.name} renamed to ${renamed.name}.`);
          label = renamed;
          state.labels = null;
          show().focus();
        } catch (error) {
          announce(error.message, { tone: "error" });
          input.focus();
        }
      });
      replace(item, form);
      input.select();
    };
    const removeLabel = async () => {
      const sure = await confirmDialog({
        title: `Delete label ${label.name}?`,
        message: "The label is removed from every lead that has it. The leads themselves stay.",
        confirmText: "Delete label",
        danger: true,
      });
      if (!sure) return;
      try {
        await state.api.delete(path("accounts", accountId, "labels", label.id));
        announce(`Label ${label.name} deleted.`);
        await refresh();
        nameInput.focus();
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    };
    show();
    return item;
  }

  refresh();
}
