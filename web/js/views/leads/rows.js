// The rows of the leads table (its <tbody>): one lead a row, the loading skeleton, and keyboard use:
// one tab stop for the table, arrow keys move between rows, Enter opens a lead, Space selects it.

import { h, replace, select } from "../../dom.js";
import {
  ACCESS_NAMES, EXPIRY_WARNING_DAYS, SOURCE_NAMES, SOURCE_SHORT, STATUSES, daysLeft, formatDate, formatDateTime, leadName,
  plural,
} from "../../format.js";

export const COLUMNS = ["Lead", "Status", "Labels", "Assignee", "Source", "Ad / campaign", "Form", "Created", "Days left"];

/**
 * One tab stop for the whole table (roving tabindex): the active row and its own controls are in the tab
 * order, the other rows are reached with the arrow keys. Otherwise Tab would visit 100 controls.
 */
function setTabStops(row, active) {
  row.tabIndex = active ? 0 : -1;
  for (const control of row.querySelectorAll("input, select")) control.tabIndex = active ? 0 : -1;
}

function skeletonRows() {
  return Array.from({ length: 8 }, () =>
    h("tr", { class: "skeleton", "aria-hidden": "true" }, Array.from({ length: 10 }, () => h("td", {}, h("span", {})))));
}

/** A lead's row; `selected`: its checkbox is ticked, `active`: it holds the table's tab stop. */
function leadRow(lead, { selected, active }) {
  const name = leadName(lead);
  const days = daysLeft(lead);
  const soon = days !== null && days <= EXPIRY_WARNING_DAYS;
  const status = select(STATUSES, { value: lead.status, "aria-label": `Status of ${name}`, class: "row-status" });
  const checkbox = h("input", { type: "checkbox", class: "row-select", "aria-label": `Select ${name}`, checked: selected });
  const ad = lead.ad || {};
  const form = lead.form || {};
  const labels = lead.labels || [];
  const tr = h("tr", { dataset: { id: lead.id }, "aria-label": name, class: selected ? "is-selected" : "" },
    h("td", { class: "col-select" }, checkbox),
    h("td", { "data-label": "Lead", class: "col-lead" },
      h("button", { type: "button", class: "link-button open-lead", tabindex: "-1" }, name),
      h("span", { class: "sub" }, lead.access_status === "accessed" ? ACCESS_NAMES.accessed : h("span", { class: "dot-new" }, ACCESS_NAMES.not_accessed))),
    h("td", { "data-label": "Status" }, status),
    h("td", { "data-label": "Labels" }, labels.length
      ? h("ul", { class: "chips" }, labels.map((l) => h("li", { class: "chip" }, l.name)))
      : h("span", { class: "muted" }, "—")),
    h("td", { "data-label": "Assignee" }, lead.assignee || h("span", { class: "muted", title: "Unassigned" }, "—")),
    h("td", { "data-label": "Source", title: SOURCE_NAMES[lead.source] || "" }, SOURCE_SHORT[lead.source] || lead.source),
    h("td", { "data-label": "Ad / campaign", class: "col-ad" },
      ad.ad_name || ad.campaign_name
        ? h("div", {}, h("span", {}, ad.ad_name || "—"), h("span", { class: "sub" }, ad.campaign_name || ""))
        : h("span", { class: "muted" }, "—")),
    h("td", { "data-label": "Form", class: "col-form" }, form.form_name || h("span", { class: "muted" }, "—")),
    h("td", { "data-label": "Created" }, h("time", { datetime: lead.created_at, title: formatDateTime(lead.created_at) }, formatDate(lead.created_at))),
    h("td", { "data-label": "Days left", class: soon ? "days-left is-soon" : "days-left" },
      days === null ? "—" : soon ? h("strong", { title: "Expires soon" }, plural(days, "day")) : plural(days, "day")));
  setTabStops(tr, active);
  return tr;
}

/**
 * The table body (`tbody`) and which row is active (holds the tab stop). Asks `isSelected(id)`; tells
 * `onOpen(id)` (click, Enter), `onToggle(id, on)` (checkbox, Space) and `onStatus(id, select)` (a row's status).
 */
export class LeadRows {
  constructor({ isSelected, onOpen, onToggle, onStatus }) {
    this.isSelected = isSelected;
    this.onOpen = onOpen;
    this.onToggle = onToggle;
    this.onStatus = onStatus;
    this.activeRowId = null;
    this.tbody = h("tbody", {});
    this.tbody.addEventListener("keydown", (event) => this.onKey(event));
    this.tbody.addEventListener("click", (event) => this.onClick(event));
    this.tbody.addEventListener("change", (event) => this.onChange(event));
    this.tbody.addEventListener("focusin", (event) => {
      const row = event.target.closest("tr[data-id]");
      if (row) this.setActive(row.dataset.id, { focus: false });
    });
  }

  skeleton() {
    replace(this.tbody, skeletonRows());
  }

  clear() {
    replace(this.tbody);
  }

  /** A page of leads; the active row stays when it is on it, else the first is. */
  render(leads) {
    if (!leads.some((lead) => lead.id === this.activeRowId)) this.activeRowId = leads[0]?.id || null;
    replace(this.tbody, leads.map((lead) => this.row(lead)));
  }

  row(lead) {
    return leadRow(lead, { selected: this.isSelected(lead.id), active: lead.id === this.activeRowId });
  }

  all() {
    return this.tbody.querySelectorAll("tr[data-id]");
  }

  rowOf(leadId) {
    return this.tbody.querySelector(`tr[data-id="${CSS.escape(leadId)}"]`);
  }

  /** Redraws a lead's row; the focus stays on the same control of it. */
  replaceLead(lead) {
    const old = this.rowOf(lead.id);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement);
    const focusedClass = hadFocus && document.activeElement !== old ? document.activeElement.className : null;
    const fresh = this.row(lead);
    old.replaceWith(fresh);
    if (hadFocus) {
      const target = focusedClass ? fresh.querySelector(`.${focusedClass.split(" ")[0]}`) : fresh;
      (target || fresh).focus();
    }
  }

  setActive(leadId, { focus = true } = {}) {
    if (this.activeRowId !== leadId) {
      const previous = this.activeRowId && this.rowOf(this.activeRowId);
      if (previous) setTabStops(previous, false);
      this.activeRowId = leadId;
    }
    const row = this.rowOf(leadId);
    if (!row) return;
    setTabStops(row, true);
    if (focus) row.focus();
  }

  onKey(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row || event.target !== row) return; // controls inside a row keep their own keys
    const rows = [...this.all()];
    const index = rows.indexOf(row);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: rows.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      const target = rows[Math.max(0, Math.min(rows.length - 1, moves[event.key]))];
      if (target) this.setActive(target.dataset.id);
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.onOpen(row.dataset.id);
    } else if (event.key === " ") {
      event.preventDefault();
      this.onToggle(row.dataset.id, !this.isSelected(row.dataset.id));
    }
  }

  onClick(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row) return;
    if (event.target.closest("select, input, a, .chip-remove, .col-select")) return;
    if (event.target.closest("button") && !event.target.closest(".open-lead")) return;
    this.onOpen(row.dataset.id);
  }

  onChange(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row) return;
    if (event.target.matches(".row-select")) this.onToggle(row.dataset.id, event.target.checked);
    if (event.target.matches(".row-status")) this.onStatus(row.dataset.id, event.target);
  }
}
