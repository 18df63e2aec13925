// Selection of leads for bulk actions: row checkboxes, the page checkbox, "select all leads that match
// the filters" (every page), and the bulk bar, whose module loads on the first selection.

import { announce, h, replace } from "../../dom.js";

/**
 * `selectAllBox` (the table head's checkbox), `banner` and `bulkArea` are the view's to place.
 * The view tells what it shows: `leads()` (this page), `rows()` (their <tr data-id>), `morePages()`;
 * the filters: `filter()` (as the API takes them) and `filterCount()`; `finished()` after a bulk job.
 */
export class LeadSelection {
  constructor({ accountId, leads, rows, morePages, filter, filterCount, finished }) {
    this.accountId = accountId;
    this.view = { leads, rows, morePages, filter, filterCount, finished };
    this.selected = new Set();
    this.allMatching = false;
    this.bulk = null; // the bulk bar's module loads on the first selection
    this.bulkLoading = null;
    this.bulkLabels = [];
    this.bulkAssignees = [];
    this.selectAllBox = h("input", { type: "checkbox", "aria-label": "Select all leads on this page" });
    this.selectAllBox.addEventListener("change", () => this.togglePage(this.selectAllBox.checked));
    this.banner = h("div", { class: "selection-banner", hidden: true });
    this.bulkArea = h("div", { class: "bulk-area" });
  }

  stop() {
    if (this.bulk) this.bulk.stop();
  }

  setLabels(labels) {
    this.bulkLabels = labels;
    if (this.bulk) this.bulk.setLabels(labels);
  }

  setAssignees(userIds) {
    this.bulkAssignees = userIds;
    if (this.bulk) this.bulk.setAssignees(userIds);
  }

  /** The bulk bar, created on the first selection. */
  ensureBulk() {
    if (!this.bulkLoading) {
      this.bulkLoading = import("../bulk.js").then(({ createBulkBar }) => {
        this.bulk = createBulkBar({
          accountId: this.accountId,
          selection: () => this.selection(),
          filter: () => this.view.filter(),
          clear: () => this.clear(),
          finished: () => this.view.finished(),
        });
        this.bulk.setLabels(this.bulkLabels);
        this.bulk.setAssignees(this.bulkAssignees);
        this.bulkArea.append(this.bulk.root);
        return this.bulk;
      });
    }
    return this.bulkLoading;
  }

  isSelected(leadId) {
    return this.allMatching || this.selected.has(leadId);
  }

  toggleLead(leadId, on) {
    if (this.allMatching) {
      // Leaving "all matching" keeps the visible page selected, minus this one.
      this.allMatching = false;
      for (const lead of this.view.leads()) this.selected.add(lead.id);
    }
    if (on) this.selected.add(leadId);
    else this.selected.delete(leadId);
    this.update();
  }

  togglePage(on) {
    if (!on) {
      this.clear();
      return;
    }
    for (const lead of this.view.leads()) this.selected.add(lead.id);
    this.update();
  }

  clear() {
    this.selected.clear();
    this.allMatching = false;
    this.update();
  }

  /** What the bulk bar acts on. */
  selection() {
    if (this.allMatching) return { allMatching: true, ids: [], count: null, filterCount: this.view.filterCount() };
    return { allMatching: false, ids: [...this.selected], count: this.selected.size };
  }

  /** Rows, page checkbox, banner and bulk bar after any change of the selection or of the page. */
  update() {
    const leads = this.view.leads();
    for (const row of this.view.rows()) {
      const on = this.isSelected(row.dataset.id);
      row.classList.toggle("is-selected", on);
      const box = row.querySelector(".row-select");
      if (box) box.checked = on;
    }
    const onPage = leads.filter((lead) => this.isSelected(lead.id)).length;
    this.selectAllBox.checked = leads.length > 0 && onPage === leads.length;
    this.selectAllBox.indeterminate = onPage > 0 && onPage < leads.length;
    this.renderBanner(onPage);
    if (this.bulk) this.bulk.update();
    else if (this.allMatching || this.selected.size) this.ensureBulk().then((bulk) => bulk.update());
  }

  renderBanner(onPage) {
    const banner = this.banner;
    const leads = this.view.leads();
    if (this.allMatching) {
      const clear = h("button", { type: "button", class: "link-button" }, "Clear selection");
      clear.addEventListener("click", () => this.clear());
      replace(banner, h("p", {}, this.view.filterCount()
        ? "All leads that match the current filters are selected, on every page. "
        : "All leads in this account are selected, on every page. ", clear));
      banner.hidden = false;
      return;
    }
    if (leads.length && onPage === leads.length && this.view.morePages()) {
      const all = h("button", { type: "button", class: "link-button select-all-matching" },
        this.view.filterCount() ? "Select all leads that match the filters" : "Select all leads in this account");
      all.addEventListener("click", () => {
        this.allMatching = true;
        this.update();
        announce("All matching leads are selected.");
      });
      replace(banner, h("p", {}, `All ${leads.length} leads on this page are selected. `, all));
      banner.hidden = false;
      return;
    }
    replace(banner);
    banner.hidden = true;
  }
}
