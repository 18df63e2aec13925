// The lead drawer's notes (list, add, edit) and activity timeline, each loading on its own.
//   GET|POST /accounts/{a}/leads/{id}/notes, PATCH .../notes/{note}, GET .../activity

import { announce, errorBox, field, h, replace, spinner } from "../dom.js";
import { SOURCE_NAMES, STATUS_NAMES, formatDateTime } from "../format.js";
import { labelName, state } from "../state.js";

/** The notes section's content: `load()` (re)reads them; `onChange()` runs after a note is added or edited. */
export function notesPanel(leadPath, { signal, onChange = () => {} }) {
  const root = h("div", { class: "notes" }, spinner("Loading notes…"));

  async function load() {
    try {
      const page = await state.api.get(`${leadPath}/notes`, { signal, query: { limit: 100 } });
      render(page.items || []);
    } catch (error) {
      if (error.name !== "AbortError") replace(root, errorBox(error, { retry: load }));
    }
  }

  function render(notes) {
    const list = h("ul", { class: "note-list" }, notes.map(noteItem));
    const text = h("textarea", { rows: 3, maxlength: 5000, required: true, id: "drawer-new-note" });
    const form = h("form", { class: "stack" }, field("Add a note", text), h("button", { type: "submit", class: "button" }, "Add note"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      form.querySelector("button").disabled = true;
      try {
        await state.api.post(`${leadPath}/notes`, { text: text.value });
        announce("Note added.");
        await load();
        onChange();
        document.getElementById("drawer-new-note")?.focus();
      } catch (error) {
        announce(error.message, { tone: "error" });
        form.querySelector("button").disabled = false;
      }
    });
    replace(root, notes.length ? list : h("p", { class: "muted" }, "No notes yet."), form);
  }

  function noteItem(note) {
    const item = h("li", { class: "note" });
    const show = () => {
      const edit = h("button", { type: "button", class: "button button-quiet button-small", "aria-label": `Edit note from ${formatDateTime(note.created_at)}` }, "Edit");
      edit.addEventListener("click", editNote);
      replace(item,
        h("p", { class: "note-meta" }, `${note.author} · ${formatDateTime(note.created_at)}`,
          note.updated_at && note.updated_at !== note.created_at ? " · edited" : ""),
        h("p", { class: "note-text" }, note.text),
        edit);
      return edit;
    };
    const editNote = () => {
      const text = h("textarea", { rows: 3, maxlength: 5000, required: true, value: note.text });
      const save = h("button", { type: "submit", class: "button button-primary button-small" }, "Save");
      const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
      const form = h("form", { class: "stack" }, field("Edit note", text), h("div", { class: "row" }, save, cancel));
      cancel.addEventListener("click", () => show().focus());
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        save.disabled = true;
        try {
          note = await state.api.patch(`${leadPath}/notes/${encodeURIComponent(note.id)}`, { text: text.value });
          announce("Note saved.");
          show().focus();
          onChange();
        } catch (error) {
          announce(error.message, { tone: "error" });
          save.disabled = false;
        }
      });
      replace(item, form);
      text.focus();
    };
    show();
    return item;
  }

  return { root, load };
}

/** The activity timeline, newest first; `load()` (re)reads it. */
export function activityPanel(leadPath, { signal }) {
  const root = h("ol", { class: "timeline", "aria-busy": "true" }, h("li", {}, spinner("Loading activity…")));

  async function load() {
    root.setAttribute("aria-busy", "true");
    try {
      const page = await state.api.get(`${leadPath}/activity`, { signal, query: { limit: 100 } });
      const items = [...(page.items || [])].reverse(); // newest first reads best in a drawer
      replace(root, items.length ? items.map(activityItem) : h("li", { class: "muted" }, "No activity yet."));
      root.setAttribute("aria-busy", "false");
    } catch (error) {
      if (error.name !== "AbortError") replace(root, h("li", {}, errorBox(error, { retry: load })));
    }
  }

  return { root, load };
}

function activityItem(event) {
  return h("li", { class: "timeline-item", dataset: { type: event.type } },
    h("p", {}, h("strong", {}, event.actor || "system"), " ", describeActivity(event)),
    h("time", { datetime: event.at, class: "muted" }, formatDateTime(event.at)));
}

export function describeActivity(event) {
  const data = event.data || {};
  const status = (value) => STATUS_NAMES[value] || value;
  const labels = (ids) => (ids || []).map(labelName).join(", ");
  switch (event.type) {
    case "created":
      return `created the lead${data.source ? ` (${SOURCE_NAMES[data.source] || data.source})` : ""}`;
    case "captured":
      return "captured the lead from a conversation";
    case "viewed":
      return "viewed the contact information";
    case "status_changed":
      return `changed status from ${status(data.from)} to ${status(data.to)}`;
    case "assignee_changed":
      return data.to ? `assigned the lead to ${data.to}` : "removed the assignee";
    case "labels_added":
      return `added ${labels(data.labels)}`;
    case "labels_removed":
      return `removed ${labels(data.labels)}`;
    case "contact_changed":
    case "contact_edited":
    case "contact_updated":
      return `edited the contact details${Array.isArray(data.fields) && data.fields.length ? ` (${data.fields.join(", ")})` : ""}`;
    case "note_added":
      return "added a note";
    case "note_edited":
      return "edited a note";
    case "note_deleted":
      return "deleted a note";
    case "exported":
      return "exported the lead";
    default:
      return event.type.replace(/_/g, " ");
  }
}
