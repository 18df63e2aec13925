// Counts of the account's leads by status and "expire within 7 days" above the table; each count is a
// button that sets (or clears) that filter.

import { path } from "../../api.js";
import { offers } from "../../capabilities.js";
import { h, replace } from "../../dom.js";
import { STATUSES } from "../../format.js";
import { state } from "../../state.js";

export class LeadSummary {
  /** `filters`: the view's LeadFilters, read for which count is pressed and toggled by a click. */
  constructor(accountId, filters) {
    this.accountId = accountId;
    this.filters = filters;
    this.root = h("ul", { class: "summary", "aria-label": "Leads by status", "aria-busy": "true" },
      // Placeholders keep the layout still until the counts arrive.
      [...STATUSES.map(([, name]) => name), "Expire within 7 days"].map((name) =>
        h("li", {}, h("span", { class: "summary-item" }, h("span", { class: "summary-count" }, "–"), h("span", {}, name)))));
  }

  async load() {
    if ((await offers("GET", "/accounts/{account_id}/summary")) === false) {
      replace(this.root);
      return;
    }
    try {
      const summary = await state.api.get(path("accounts", this.accountId, "summary"));
      this.render(summary);
    } catch {
      replace(this.root); // the counts are a convenience; the table below says what matters
    } finally {
      this.root.setAttribute("aria-busy", "false");
    }
  }

  render(summary) {
    const filters = this.filters.values;
    const counts = summary.by_status || summary.status_counts || summary.counts || summary;
    const expiring = summary.expiring_within_7_days ?? summary.expiring_soon ?? summary.expiring;
    const items = STATUSES.filter(([status]) => typeof counts[status] === "number").map(([status, name]) => {
      const button = h("button", { type: "button", class: "summary-item", dataset: { status }, "aria-pressed": String(filters.status === status) },
        h("span", { class: "summary-count" }, String(counts[status])), h("span", {}, name));
      button.addEventListener("click", () => this.filters.toggle("status", status));
      return h("li", {}, button);
    });
    if (typeof expiring === "number") {
      const button = h("button", { type: "button", class: "summary-item summary-expiring", "aria-pressed": String(filters.expiring_within_days === "7") },
        h("span", { class: "summary-count" }, String(expiring)), h("span", {}, "Expire within 7 days"));
      button.addEventListener("click", () => this.filters.toggle("expiring_within_days", "7"));
      items.push(h("li", {}, button));
    }
    replace(this.root, items);
  }

  /** After a change of filters: which count's button is pressed. */
  syncPressed() {
    const filters = this.filters.values;
    for (const button of this.root.querySelectorAll("button[aria-pressed]")) {
      const pressed = button.dataset.status ? filters.status === button.dataset.status : filters.expiring_within_days === "7";
      button.setAttribute("aria-pressed", String(pressed));
    }
  }
}
