// The rows of the leads table: one lead a row, the loading skeleton, and the roving tab stop.

import { h, select } from "../../dom.js";
import {
  ACCESS_NAMES, EXPIRY_WARNING_DAYS, SOURCE_NAMES, SOURCE_SHORT, STATUSES, daysLeft, formatDate, formatDateTime, leadName,
  plural,
} from "../../format.js";

export const COLUMNS = ["Lead", "Status", "Labels", "Assignee", "Source", "Ad / campaign", "Form", "Created", "Days left"];

/**
 * One tab stop for the whole table (roving tabindex): the active row and its own controls are in the tab
 * order, the other rows are reached with the arrow keys. Otherwise Tab would visit 100 controls.
 */
export function setTabStops(row, active) {
  row.tabIndex = active ? 0 : -1;
  for (const control of row.querySelectorAll("input, select")) control.tabIndex = active ? 0 : -1;
}

export function skeletonRows() {
  return Array.from({ length: 8 }, () =>
    h("tr", { class: "skeleton", "aria-hidden": "true" }, Array.from({ length: 10 }, () => h("td", {}, h("span", {})))));
}

/** A lead's row; `selected`: its checkbox is ticked, `active`: it holds the table's tab stop. */
export function leadRow(lead, { selected, active }) {
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
