// Bulk actions over the selected leads (or every lead matching the filter) as a background job:
// POST /accounts/{a}/leads/bulk -> 202 {job_id}, then the job's progress until it finishes.

import { path } from "../api.js";
import { missingRouteMessage } from "../capabilities.js";
import { confirmDialog } from "../dialog.js";
import { announce, field, h, replace, select } from "../dom.js";
import { STATUSES, STATUS_NAMES, plural } from "../format.js";
import { progressPanel, pollJob } from "../jobs.js";
import { isAdmin, labelName, state } from "../state.js";

const BULK_ROUTE = "/accounts/{account_id}/leads/bulk";
const ACTIONS = [
  ["set_status", "Set status"],
  ["add_labels", "Add label"],
  ["remove_labels", "Remove label"],
  ["set_assignee", "Set assignee"],
  ["delete", "Delete"],
];

export function createBulkBar({ accountId, selection, filter, clear, finished }) {
  let labels = [];
  let assignees = [];
  let controller = null;

  const count = h("p", { class: "bulk-count", "aria-live": "polite" });
  const action = select(ACTIONS.filter(([name]) => name !== "delete" || isAdmin()), { id: "bulk-action" });
  const value = h("select", { id: "bulk-value" });
  const valueField = field("Value", value);
  const apply = h("button", { type: "submit", class: "button button-primary" }, "Apply");
  const cancel = h("button", { type: "button", class: "button button-quiet" }, "Clear selection");
  const form = h("form", { class: "bulk-form", "aria-label": "Change the selected leads" },
    count, field("Bulk action", action), valueField, apply, cancel);
  const jobArea = h("div", { class: "job-area" });
  const root = h("div", { class: "bulk" }, form, jobArea);
  form.hidden = true;

  action.addEventListener("change", renderValues);
  renderValues();
  cancel.addEventListener("click", () => clear());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });

  function renderValues() {
    const kind = action.value;
    let options = [];
    if (kind === "set_status") options = STATUSES;
    if (kind === "add_labels" || kind === "remove_labels") options = labels.map((l) => [l.id, l.name]);
    if (kind === "set_assignee") options = [["", "Unassigned"], ...assignees.map((id) => [id, id])];
    valueField.hidden = kind === "delete";
    valueField.querySelector("label").textContent = kind === "set_status" ? "New status" : kind === "set_assignee" ? "Assignee" : "Label";
    const previous = value.value;
    replace(value, options.map(([v, text]) => h("option", { value: v }, text)));
    if (options.some(([v]) => v === previous)) value.value = previous;
    apply.disabled = (kind === "add_labels" || kind === "remove_labels") && !labels.length;
    apply.textContent = kind === "delete" ? "Delete leads" : "Apply";
    apply.className = `button ${kind === "delete" ? "button-danger" : "button-primary"}`;
  }

  function describe(kind, chosen) {
    switch (kind) {
      case "set_status":
        return `set status to ${STATUS_NAMES[chosen]}`;
      case "add_labels":
        return `add label ${labelName(chosen)}`;
      case "remove_labels":
        return `remove label ${labelName(chosen)}`;
      case "set_assignee":
        return chosen ? `assign to ${chosen}` : "remove the assignee";
      default:
        return "delete";
    }
  }

  async function run() {
    const picked = selection();
    const kind = action.value;
    const chosen = value.value;
    const body = { action: kind };
    if (kind === "set_status") body.value = chosen;
    if (kind === "add_labels" || kind === "remove_labels") body.value = [chosen];
    if (kind === "set_assignee") body.value = chosen || null;
    if (picked.allMatching) body.filter = filter();
    else body.lead_ids = picked.ids;
    const target = picked.allMatching ? "all leads matching the filter" : plural(picked.count, "lead");
    if (kind === "delete") {
      const sure = await confirmDialog({
        title: "Delete leads?",
        message: `This permanently deletes ${target} and their contact details, notes and labels. The timeline keeps only a record that they were deleted. This cannot be undone.`,
        confirmText: "Delete leads",
        danger: true,
      });
      if (!sure) return;
    }
    const title = `Bulk: ${describe(kind, chosen)} (${target})`;
    const panel = progressPanel(title);
    replace(jobArea, panel.root);
    apply.disabled = true;
    if (controller) controller.abort();
    controller = new AbortController();
    try {
      const { job_id: jobId } = await state.api.post(path("accounts", accountId, "leads", "bulk"), body);
      announce(`Bulk action started: ${describe(kind, chosen)} for ${target}.`);
      const job = await pollJob(accountId, jobId, { onUpdate: panel.update, signal: controller.signal });
      const failed = Number(job.failed) || 0;
      announce(job.state === "succeeded"
        ? `Bulk action finished: ${job.done} of ${job.total} leads changed.`
        : `Bulk action finished with ${plural(failed, "failure")}: ${job.done} of ${job.total} leads changed.`,
      { tone: job.state === "succeeded" ? "info" : "error" });
      clear();
      finished(job);
    } catch (error) {
      if (error.name === "AbortError") return;
      const message = (await missingRouteMessage(error, "POST", BULK_ROUTE, "Bulk actions")) || error.message;
      replace(jobArea, h("div", { class: "notice notice-error", role: "alert" }, h("p", {}, message)));
      announce(message, { tone: "error" });
    } finally {
      apply.disabled = false;
    }
  }

  return {
    root,
    setLabels(list) {
      labels = list;
      renderValues();
    },
    setAssignees(list) {
      assignees = list;
      renderValues();
    },
    update() {
      const picked = selection();
      const any = picked.allMatching || picked.count > 0;
      form.hidden = !any;
      count.textContent = picked.allMatching ? "All matching leads selected" : `${plural(picked.count, "lead")} selected`;
    },
    stop() {
      if (controller) controller.abort();
    },
  };
}
