// Leads screen: loads the pages of leads and assembles its parts: the status counts (summary.js), filters
// and search (filters.js), the table's rows and keyboard use (rows.js), selection for bulk actions
// (selection.js) and cursor paging (paging.js). A row's status changes here; a row opens the lead drawer.

import { path } from "../../api.js";
import { announce, errorBox, h, notice, replace } from "../../dom.js";
import { STATUS_NAMES, leadName } from "../../format.js";
import {
  accountById, canSeeLeads, isAdmin, leadAccessTransferred, loadForms, loadLabels, loadMembers, state,
} from "../../state.js";
import { LeadFilters } from "./filters.js";
import { Pager } from "./paging.js";
import { COLUMNS, LeadRows } from "./rows.js";
import { LeadSelection } from "./selection.js";
import { LeadSummary } from "./summary.js";

let firstPagePainted = false;

export function render(container, ctx) {
  const account = state.account;
  if (leadAccessTransferred(account)) {
    replace(container, transferredNotice(account));
    return null;
  }
  if (!canSeeLeads(account)) {
    replace(container, h("section", { class: "empty" }, h("h2", {}, "Leads"),
      notice(account.type === "ad_account"
        ? `Only admins of an ad account see its leads; your role here is ${account.role}.`
        : "Your Business Center role does not include the Leads Center scope. Ask an admin to grant it.",
      { tone: "warning" })));
    return null;
  }
  return new LeadsView(container, ctx).cleanup;
}

function transferredNotice(account) {
  const holder = accountById(account.lead_access_transferred_to);
  const holderName = holder ? holder.name : account.lead_access_transferred_to;
  return h("section", { class: "empty transferred", "aria-labelledby": "leads-title" },
    h("h2", { id: "leads-title" }, "Leads"),
    h("div", { class: "notice notice-warning", role: "status" },
      h("p", {}, h("strong", {}, "Lead access was transferred.")),
      h("p", {}, `The leads of ${account.name} are now managed by the Business Center ${holderName}. `,
        "This ad account's team, including the agency running it, can no longer view, manage, export or download them."),
      holder ? h("p", {}, h("a", { href: `#/a/${encodeURIComponent(holder.id)}/leads` }, `Open the leads in ${holder.name}`)) : null));
}

class LeadsView {
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.accountId = state.account.id;
    this.leads = [];
    this.controller = null;
    this.cleanup = () => {
      if (this.controller) this.controller.abort();
      this.filters.stop();
      this.selection.stop();
    };
    this.build();
    // The first page first: the filters' options and the counts wait so they do not compete with it.
    this.loadPage().finally(() => {
      if (state.account?.id !== this.accountId) return;
      this.loadReferenceData();
      this.summary.load();
    });
  }

  // -------------------------------------------------------------------------------------- layout

  build() {
    this.filters = new LeadFilters(this.ctx.params, { onChange: () => this.filtersChanged() });

    const refresh = h("button", { type: "button", class: "button" }, "Refresh");
    refresh.addEventListener("click", () => this.loadPage());
    const exportButton = h("button", { type: "button", class: "button" }, "Export CSV");
    exportButton.addEventListener("click", async () => {
      const { openExport } = await import("../export.js");
      openExport({ filter: this.filters.apiFilter(), activeFilters: this.filters.activeCount() });
    });
    this.summary = new LeadSummary(this.accountId, this.filters);

    this.selection = new LeadSelection({
      accountId: this.accountId,
      leads: () => this.leads,
      rows: () => this.rows.all(),
      morePages: () => Boolean(this.pager.nextCursor),
      filter: () => this.filters.apiFilter(),
      filterCount: () => this.filters.activeCount(),
      finished: () => {
        this.loadPage();
        this.summary.load();
      },
    });
    this.rows = new LeadRows({
      isSelected: (leadId) => this.selection.isSelected(leadId),
      onOpen: (leadId) => this.openLead(leadId),
      onToggle: (leadId, on) => this.selection.toggleLead(leadId, on),
      onStatus: (leadId, control) => this.changeStatus(leadId, control),
    });
    this.table = h("table", { class: "leads-table", "aria-describedby": "leads-keys" },
      h("caption", { class: "visually-hidden" }, "Leads"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", class: "col-select" }, this.selection.selectAllBox),
        COLUMNS.map((name) => h("th", { scope: "col" }, name)))),
      this.rows.tbody);
    this.tableState = h("div", { class: "table-state" });
    this.tableWrap = h("div", { class: "table-wrap", "aria-busy": "true" }, this.table);

    this.pager = new Pager(this.ctx.params, {
      onPage: () => this.pageChanged(),
      onPageSize: () => {
        this.syncUrl();
        this.loadPage();
      },
    });

    replace(this.container, h("section", { class: "leads", "aria-labelledby": "leads-title" },
      h("div", { class: "page-head" }, h("h2", { id: "leads-title" }, "Leads"), h("div", { class: "row" }, refresh, exportButton)),
      this.summary.root,
      this.filters.root,
      this.selection.bulkArea,
      this.selection.banner,
      h("p", { id: "leads-keys", class: "hint keys-hint" },
        "In the table, use the arrow keys to move between leads, Enter to open one and Space to select it."),
      this.tableWrap,
      this.tableState,
      this.pager.root));
    this.renderSkeleton();
  }

  renderSkeleton() {
    this.rows.skeleton();
    replace(this.tableState, h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading leads…"));
  }

  // -------------------------------------------------------------------------------------- data

  async loadReferenceData() {
    const [labels, members, forms] = await Promise.allSettled([
      loadLabels(),
      isAdmin() ? loadMembers() : Promise.resolve(null),
      loadForms(),
    ]);
    if (state.account?.id !== this.accountId) return;
    if (labels.status === "fulfilled") {
      this.filters.setLabels(labels.value);
      this.selection.setLabels(labels.value);
    }
    const admins = members.status === "fulfilled" && members.value ? members.value.filter((m) => m.role === "admin") : [];
    const people = admins.map((m) => m.user_id);
    if (!people.includes(state.session.user)) people.push(state.session.user);
    this.filters.setAssignees(people);
    this.selection.setAssignees(admins.map((m) => m.user_id));
    this.filters.addForms(forms.status === "fulfilled" ? forms.value : []);
  }

  async loadPage() {
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.tableWrap.setAttribute("aria-busy", "true");
    this.container.querySelector(".leads")?.classList.add("is-loading");
    if (!this.leads.length) this.renderSkeleton();
    try {
      const page = await state.api.get(path("accounts", this.accountId, "leads"), {
        query: { ...this.filters.apiFilter(), limit: this.pager.pageSize, cursor: this.pager.cursor },
        signal: controller.signal,
      });
      if (controller.signal.aborted) return;
      this.leads = page.items || [];
      this.pager.nextCursor = page.next_cursor || null;
      this.renderRows();
      if (!firstPagePainted) {
        firstPagePainted = true;
        performance.mark("leads-first-page");
      }
    } catch (error) {
      if (error.name === "AbortError" || error.status === 401) return; // 401: the sign-in screen takes over
      this.leads = [];
      this.pager.nextCursor = null;
      this.rows.clear();
      replace(this.tableState, errorBox(error, { retry: () => this.loadPage() }));
      this.table.hidden = true;
      this.pager.update(this.leads.length);
      announce(error.message, { tone: "error" });
    } finally {
      if (this.controller === controller) {
        this.tableWrap.setAttribute("aria-busy", "false");
        this.container.querySelector(".leads")?.classList.remove("is-loading");
      }
    }
  }

  // -------------------------------------------------------------------------------------- rows

  renderRows() {
    this.filters.noteLeadForms(this.leads);
    this.rows.render(this.leads);
    this.table.hidden = !this.leads.length;
    replace(this.tableState, this.leads.length ? null : this.emptyState());
    this.pager.update(this.leads.length);
    this.selection.update();
  }

  emptyState() {
    const filtered = this.filters.activeCount() > 0;
    if (!filtered && this.pager.pageIndex === 0) {
      return h("div", { class: "empty" }, h("h3", {}, "No leads yet"),
        h("p", {}, "Leads from your instant forms and direct messages appear here as they arrive."));
    }
    const clear = h("button", { type: "button", class: "button" }, "Clear filters");
    clear.addEventListener("click", () => this.filters.clear());
    return h("div", { class: "empty", role: "status" }, h("h3", {}, "No leads match"),
      h("p", {}, "No lead matches these filters. Change or clear them to see more."), clear);
  }

  replaceLead(lead) {
    const index = this.leads.findIndex((l) => l.id === lead.id);
    if (index < 0) return;
    this.leads[index] = lead;
    this.rows.replaceLead(lead);
  }

  async openLead(leadId) {
    this.rows.setActive(leadId, { focus: false });
    const { openLeadDrawer } = await import("../drawer.js");
    openLeadDrawer(leadId, {
      onUpdate: (lead) => this.replaceLead(lead),
      returnFocus: () => this.rows.rowOf(leadId),
    });
  }

  async changeStatus(leadId, control) {
    const lead = this.leads.find((l) => l.id === leadId);
    if (!lead) return;
    const wanted = control.value;
    control.disabled = true;
    try {
      const updated = await state.api.patch(path("accounts", this.accountId, "leads", leadId), { status: wanted },
        { headers: { "If-Match": String(lead.version) } });
      this.replaceLead(updated);
      announce(`${leadName(updated)}: status set to ${STATUS_NAMES[wanted]}.`);
      this.summary.load();
    } catch (error) {
      if (error.isConflict) {
        announce(`${leadName(lead)} was changed by someone else meanwhile. The table shows the latest version; make your change again.`, { tone: "error" });
        await this.loadPage();
        this.rows.rowOf(leadId)?.querySelector(".row-status")?.focus();
      } else {
        control.value = lead.status;
        control.disabled = false;
        announce(error.message, { tone: "error" });
      }
    }
  }

  // -------------------------------------------------------------------------------------- filters, paging

  /** After a change of filters: back to page 1, nothing selected, the URL, the table and the counts. */
  filtersChanged() {
    this.pager.reset();
    this.selection.clear();
    this.syncUrl();
    this.loadPage();
    this.summary.syncPressed();
  }

  syncUrl() {
    const params = new URLSearchParams();
    this.filters.writeParams(params);
    this.pager.writeParams(params);
    this.ctx.replaceParams(params);
  }

  /** After Previous or Next: the new page, announced, from the top of the table. */
  pageChanged() {
    this.rows.activeRowId = null;
    this.loadPage().then(() => {
      announce(`Page ${this.pager.pageIndex + 1} of leads.`);
      this.table.scrollIntoView({ block: "start", behavior: "instant" });
    });
  }
}
