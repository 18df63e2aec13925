// Lead drawer: contact info (reading it marks the lead accessed; editable in contact-editor.js), form answers,
// attribution, editable status/labels/assignee, notes and the activity timeline (lead-notes.js). Every change
// is a PATCH with If-Match; a 409 reloads the lead and says so. Escape closes; focus returns to the row.

import { path } from "../api.js";
import { openDialog } from "../dialog.js";
import { announce, errorBox, field, h, replace, select, spinner } from "../dom.js";
import { SOURCE_NAMES, STATUSES, STATUS_NAMES, EXPIRY_WARNING_DAYS, daysLeft, formatDateTime, leadName, plural } from "../format.js";
import { isAdmin, labelName, loadLabels, loadMembers, state } from "../state.js";
import { contactSection } from "./contact-editor.js";
import { activityPanel, notesPanel } from "./lead-notes.js";

export { describeActivity } from "./lead-notes.js";

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
  let notes = null;
  let activity = null;
  let contactNotice = null; // said on the contact card after a conflict reloaded the lead

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
      notes.load();
      activity.load();
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
      activity.load();
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

  /** The contact form's save: a 409 reloads the lead and says so on the card; other failures go back to the form. */
  async function saveContact(contact) {
    try {
      lead = await state.api.patch(leadPath, { contact }, { headers: { "If-Match": String(lead.version) } });
    } catch (error) {
      // contact_in_use (another lead holds that email or phone) is about a field, not about versions.
      if (!error.isConflict || error.code === "contact_in_use") throw error;
      contactNotice = "Someone else changed this lead meanwhile, so your edit was not saved. The latest details are shown; edit them again if needed.";
      announce(contactNotice, { tone: "error" });
      await load();
      document.getElementById("drawer-edit-contact")?.focus();
      return;
    }
    onUpdate(lead);
    renderLead();
    document.getElementById("drawer-edit-contact")?.focus();
    activity.load();
    announce("Contact details saved.");
  }

  let leadSections = null;

  function renderLead({ keepFocus = false } = {}) {
    const focusedId = keepFocus && document.activeElement ? document.activeElement.id : null;
    title.textContent = leadName(lead);
    if (!leadSections || !leadSections.isConnected) {
      // Notes and activity load on their own; a change to the lead redraws only the sections above them.
      leadSections = h("div", { class: "drawer-lead" });
      activity = activityPanel(leadPath, { signal: controller.signal });
      notes = notesPanel(leadPath, { signal: controller.signal, onChange: () => activity.load() });
      replace(
        body,
        leadSections,
        h("section", { "aria-labelledby": "drawer-notes" }, h("h3", { id: "drawer-notes" }, "Notes"), notes.root),
        h("section", { "aria-labelledby": "drawer-activity" }, h("h3", { id: "drawer-activity" }, "Activity"), activity.root),
      );
    }
    const contact = contactSection(lead, { save: saveContact, definitionList, message: contactNotice });
    contactNotice = null;
    replace(leadSections, editSection(), contact, formSection(), attributionSection());
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

  load();
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
