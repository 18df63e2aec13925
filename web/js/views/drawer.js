// Lead drawer: contact info (reading it marks the lead accessed), form answers, attribution, editable
// status/labels/assignee, notes and the activity timeline. Escape closes; focus returns to the row.

import { path } from "../api.js";
import { openDialog } from "../dialog.js";
import { announce, errorBox, field, h, replace, select, spinner } from "../dom.js";
import {
  ACCESS_NAMES, SOURCE_NAMES, STATUSES, STATUS_NAMES, EXPIRY_WARNING_DAYS, daysLeft, formatDateTime, leadName, plural,
} from "../format.js";
import { isAdmin, labelName, loadLabels, loadMembers, state } from "../state.js";

const drawer = () => document.getElementById("drawer");

/**
 * Opens the drawer for a lead id. `onUpdate(lead)` runs after every change so the table stays in step;
 * `returnFocus()` gives back the element to focus when the drawer closes.
 */
export function openLeadDrawer(leadId, { onUpdate = () => {}, returnFocus = () => null } = {}) {
  const dialog = drawer();
  if (dialog.open) dialog.close();
  const accountId = state.account.id;
  const leadPath = path("accounts", accountId, "leads", leadId);
  const body = h("div", { class: "drawer-body" }, spinner("Loading lead…"));
  const title = h("h2", { id: "drawer-title" }, "Lead");
  const closeButton = h("button", { type: "button", class: "icon-button", "aria-label": "Close lead details" }, "×");
  closeButton.addEventListener("click", () => dialog.close());
  replace(dialog, h("div", { class: "drawer-head" }, title, closeButton), body);
  dialog.setAttribute("aria-labelledby", "drawer-title");

  const controller = new AbortController();
  let lead = null;
  let activityList = null;
  let notesSection = null;

  const onClose = () => {
    dialog.removeEventListener("close", onClose);
    controller.abort();
    const target = returnFocus();
    if (target && target.isConnected) target.focus();
  };
  dialog.addEventListener("close", onClose);
  dialog.showModal();
  closeButton.focus();

  async function load() {
    leadSections = null;
    replace(body, spinner("Loading lead…"));
    try {
      // GET marks the lead accessed (who and when): that is why the list does not call it.
      const [fresh] = await Promise.all([
        state.api.get(leadPath, { signal: controller.signal }),
        loadLabels().catch(() => []),
        loadMembers().catch(() => null),
      ]);
      lead = fresh;
      onUpdate(lead);
      renderLead();
      loadNotes();
      loadActivity();
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(body, errorBox(error, { retry: load }));
    }
  }

  async function change(patch, describe) {
    try {
      lead = await state.api.patch(leadPath, patch, { headers: { "If-Match": String(lead.version) } });
      onUpdate(lead);
      renderLead({ keepFocus: true });
      loadActivity();
      announce(describe);
    } catch (error) {
      if (error.isConflict) {
        announce(`${leadName(lead)} was changed by someone else meanwhile. The latest version is shown; make your change again.`, { tone: "error" });
        await load();
        return;
      }
      announce(error.message, { tone: "error" });
      renderLead({ keepFocus: true });
    }
  }

  let leadSections = null;

  function renderLead({ keepFocus = false } = {}) {
    const focusedId = keepFocus && document.activeElement ? document.activeElement.id : null;
    title.textContent = leadName(lead);
    if (!leadSections || !leadSections.isConnected) {
      // Notes and activity load on their own; a change to the lead redraws only the sections above them.
      leadSections = h("div", { class: "drawer-lead" });
      activityList = h("ol", { class: "timeline", "aria-busy": "true" }, h("li", {}, spinner("Loading activity…")));
      notesSection = h("div", { class: "notes" }, spinner("Loading notes…"));
      replace(
        body,
        leadSections,
        h("section", { "aria-labelledby": "drawer-notes" }, h("h3", { id: "drawer-notes" }, "Notes"), notesSection),
        h("section", { "aria-labelledby": "drawer-activity" }, h("h3", { id: "drawer-activity" }, "Activity"), activityList),
      );
    }
    replace(leadSections, editSection(), contactSection(), formSection(), attributionSection());
    if (focusedId) {
      const again = document.getElementById(focusedId);
      if (again) again.focus();
    }
  }

  function editSection() {
    const status = select(STATUSES, { value: lead.status, id: "drawer-status" });
    status.addEventListener("change", () =>
      change({ status: status.value }, `Status set to ${STATUS_NAMES[status.value]}.`));
    const admins = (state.members || []).filter((m) => m.role === "admin").map((m) => m.user_id);
    if (lead.assignee && !admins.includes(lead.assignee)) admins.push(lead.assignee);
    const assignee = select([["", "Unassigned"], ...admins.map((id) => [id, id])], { value: lead.assignee || "", id: "drawer-assignee" });
    assignee.disabled = !isAdmin() && !admins.length;
    assignee.addEventListener("change", () =>
      change({ assignee: assignee.value || null }, assignee.value ? `Assigned to ${assignee.value}.` : "Assignee removed."));
    const available = (state.labels || []).filter((l) => !lead.labels.some((own) => own.id === l.id));
    const addLabel = select([["", available.length ? "Add a label…" : "No more labels"], ...available.map((l) => [l.id, l.name])],
      { id: "drawer-add-label" });
    addLabel.disabled = !available.length;
    addLabel.addEventListener("change", () => {
      if (addLabel.value) change({ add_labels: [addLabel.value] }, `Label ${labelName(addLabel.value)} added.`);
    });
    const chips = h("ul", { class: "chips", "aria-label": "Labels" },
      lead.labels.length ? lead.labels.map((label) => h("li", { class: "chip" }, label.name,
        h("button", {
          type: "button", class: "chip-remove", id: `drawer-remove-${label.id}`, "aria-label": `Remove label ${label.name}`,
          onClick: () => change({ remove_labels: [label.id] }, `Label ${label.name} removed.`),
        }, "×"))) : h("li", { class: "muted" }, "No labels"));
    return h("section", { class: "drawer-edit", "aria-label": "Manage lead" },
      h("div", { class: "grid-2" }, field("Status", status), field("Assignee", assignee)),
      h("div", { class: "field" }, h("span", { class: "label-text" }, "Labels"), chips),
      field("Add label", addLabel));
  }

  function contactSection() {
    const contact = lead.contact || {};
    const rows = [
      ["Name", contact.name],
      ["Email", contact.email],
      ["Phone", contact.phone],
      ...(contact.others || []).map((other) => [other.kind, other.value]),
      ["Country", lead.region],
    ];
    const accessed = lead.access_status === "accessed"
      ? `Viewed${lead.accessed_by ? ` by ${lead.accessed_by}` : ""}${lead.accessed_at ? `, ${formatDateTime(lead.accessed_at)}` : ""}`
      : ACCESS_NAMES.not_accessed;
    return h("section", { "aria-labelledby": "drawer-contact" },
      h("h3", { id: "drawer-contact" }, "Contact"),
      definitionList(rows),
      h("p", { class: "hint" }, accessed));
  }

  function formSection() {
    const form = lead.form || {};
    const answers = form.answers || [];
    if (!form.form_id && !answers.length) return null;
    const view = form.form_id
      ? h("button", { type: "button", class: "button button-quiet", onClick: () => showInstantForm(form) }, "View Instant Form")
      : null;
    return h("section", { "aria-labelledby": "drawer-form" },
      h("div", { class: "section-head" }, h("h3", { id: "drawer-form" }, "Form answers"), view),
      form.form_name ? h("p", { class: "muted" }, form.form_name) : null,
      answers.length ? definitionList(answers.map((a) => [a.question, a.answer])) : h("p", { class: "muted" }, "No answers."));
  }

  function attributionSection() {
    const ad = lead.ad || {};
    const days = daysLeft(lead);
    const rows = [
      ["Source", SOURCE_NAMES[lead.source] || lead.source],
      ["Ad", named(ad.ad_name, ad.ad_id)],
      ["Ad group", named(ad.adgroup_name, ad.adgroup_id)],
      ["Campaign", named(ad.campaign_name, ad.campaign_id)],
      ["Form", named(lead.form && lead.form.form_name, lead.form && lead.form.form_id)],
      ["Created", formatDateTime(lead.created_at)],
      ["Updated", formatDateTime(lead.updated_at)],
      ["Expires", `${formatDateTime(lead.expires_at)}${days !== null ? ` (${plural(days, "day")} left)` : ""}`],
      ["Lead id", lead.id],
    ];
    const section = h("section", { "aria-labelledby": "drawer-attribution" },
      h("h3", { id: "drawer-attribution" }, "Attribution"), definitionList(rows));
    if (days !== null && days <= EXPIRY_WARNING_DAYS) {
      section.append(h("p", { class: "notice notice-warning" }, `This lead is deleted in ${plural(days, "day")}. Export it if you need to keep it.`));
    }
    return section;
  }

  // ---------------------------------------------------------------------------------------- notes

  async function loadNotes() {
    const target = notesSection;
    try {
      const page = await state.api.get(`${leadPath}/notes`, { signal: controller.signal, query: { limit: 100 } });
      if (target === notesSection) renderNotes(page.items || []);
    } catch (error) {
      if (error.name !== "AbortError" && target === notesSection) replace(target, errorBox(error, { retry: loadNotes }));
    }
  }

  function renderNotes(notes) {
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
        await loadNotes();
        loadActivity();
        document.getElementById("drawer-new-note")?.focus();
      } catch (error) {
        announce(error.message, { tone: "error" });
        form.querySelector("button").disabled = false;
      }
    });
    replace(notesSection, notes.length ? list : h("p", { class: "muted" }, "No notes yet."), form);
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
          loadActivity();
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

  // ---------------------------------------------------------------------------------------- activity

  async function loadActivity() {
    const target = activityList;
    target.setAttribute("aria-busy", "true");
    try {
      const page = await state.api.get(`${leadPath}/activity`, { signal: controller.signal, query: { limit: 100 } });
      if (target !== activityList) return;
      const items = [...(page.items || [])].reverse(); // newest first reads best in a drawer
      replace(target, items.length ? items.map(activityItem) : h("li", { class: "muted" }, "No activity yet."));
      target.setAttribute("aria-busy", "false");
    } catch (error) {
      if (error.name !== "AbortError" && target === activityList) replace(target, h("li", {}, errorBox(error, { retry: loadActivity })));
    }
  }

  load();
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

function named(name, id) {
  if (!name && !id) return "—";
  if (name && id) return `${name} (${id})`;
  return name || id;
}

function definitionList(rows) {
  return h("dl", { class: "facts" }, rows.filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

async function showInstantForm(form) {
  const body = h("div", {}, spinner("Loading the form…"));
  openDialog({ title: form.form_name || "Instant Form", body });
  try {
    const full = await state.api.get(path("accounts", state.account.id, "forms", form.form_id));
    replace(body,
      h("p", { class: "muted" }, `${full.name} · version ${full.version ?? 1} · ${plural((full.questions || []).length, "question")}`),
      h("ol", { class: "form-questions" }, (full.questions || []).map((q) =>
        h("li", {}, q.question, " ", h("span", { class: "badge" }, (q.type || "").replace(/_/g, " "))))));
  } catch (error) {
    replace(body, errorBox(error.isNotFound
      ? new Error(`The form ${form.form_id} is not stored in this account, so only the answers on the lead are shown.`)
      : error));
  }
}
