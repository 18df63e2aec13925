// The leads filter bar: search (debounced), the *Filters* disclosure, the options that come from the
// account's labels, members and forms, and the filters as the URL and the API take them.

import { field, h, replace, select } from "../../dom.js";
import { ACCESS, SOURCES, STATUSES } from "../../format.js";

export const FILTER_KEYS = ["q", "status", "label", "assignee", "access_status", "source", "form_id", "created_from",
  "created_to", "expiring_within_days"];
const SEARCH_DELAY_MS = 350;

/** Replaces a select's options and keeps `value` (or the current one) even when it is not among them. */
function setOptions(selectElement, options, value) {
  const current = value !== undefined ? value : selectElement.value;
  replace(selectElement, options.map(([optionValue, text]) => h("option", { value: optionValue }, text)));
  if (current && !options.some(([optionValue]) => optionValue === current)) {
    selectElement.append(h("option", { value: current }, current));
  }
  selectElement.value = current || "";
}

/**
 * The filter form (`root`), its values read from the URL's `params`, and `onChange()` after every change
 * of them (the new values are in `values` by then).
 */
export class LeadFilters {
  constructor(params, { onChange }) {
    this.values = Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) || ""]));
    this.onChange = onChange;
    this.searchTimer = null;
    this.knownForms = new Map();
    this.build();
  }

  build() {
    const values = this.values;
    const c = {
      q: h("input", {
        type: "search", name: "q", value: values.q, maxlength: 200, autocomplete: "off",
        placeholder: "Ad, ad group, campaign or form name or ID",
      }),
      status: select([["", "All statuses"], ...STATUSES], { name: "status", value: values.status }),
      label: select([["", "All labels"]], { name: "label" }),
      assignee: select([["", "Anyone"], ["none", "Unassigned"]], { name: "assignee" }),
      access_status: select([["", "Viewed or not"], ...ACCESS], { name: "access_status", value: values.access_status }),
      source: select([["", "All sources"], ...SOURCES], { name: "source", value: values.source }),
      form_id: select([["", "All forms"]], { name: "form_id" }),
      created_from: h("input", { type: "date", name: "created_from", value: values.created_from }),
      created_to: h("input", { type: "date", name: "created_to", value: values.created_to }),
      expiring_within_days: select([["", "Any time"], ["7", "Within 7 days"], ["30", "Within 30 days"]],
        { name: "expiring_within_days", value: values.expiring_within_days }),
    };
    this.controls = c;
    setOptions(c.label, [["", "All labels"]], values.label);
    setOptions(c.assignee, [["", "Anyone"], ["none", "Unassigned"]], values.assignee);
    setOptions(c.form_id, [["", "All forms"]], values.form_id);

    const clear = h("button", { type: "button", class: "button button-quiet" }, "Clear filters");
    clear.addEventListener("click", () => this.clear());
    this.badge = h("span", { class: "badge", "aria-hidden": "true" });
    const more = h("details", { class: "more-filters" },
      h("summary", {}, "Filters ", this.badge),
      h("div", { class: "filter-grid" },
        field("Status", c.status), field("Label", c.label), field("Assignee", c.assignee),
        field("Access status", c.access_status), field("Source", c.source), field("Form", c.form_id),
        field("Created from", c.created_from), field("Created to", c.created_to), field("Expires", c.expiring_within_days),
        h("div", { class: "field field-action" }, clear)));
    more.open = window.matchMedia("(min-width: 761px)").matches;
    this.root = h("form", { class: "filters", role: "search", "aria-label": "Filter leads" },
      field("Search", c.q, { hint: "Matches ad, ad group, campaign or form: the ID exactly, or part of the name." }),
      more);
    this.root.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(this.searchTimer);
      this.read();
    });
    this.root.addEventListener("change", (event) => {
      if (event.target !== c.q) this.read();
    });
    c.q.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.read(), SEARCH_DELAY_MS);
    });
    this.updateCount();
  }

  stop() {
    clearTimeout(this.searchTimer);
  }

  /** Takes the controls' values; when they differ from the current ones, `onChange()`. */
  read() {
    const next = Object.fromEntries(FILTER_KEYS.map((key) => [key, this.controls[key].value]));
    next.q = next.q.trim();
    if (FILTER_KEYS.every((key) => next[key] === this.values[key])) return;
    this.values = next;
    this.updateCount();
    this.onChange();
  }

  /** Sets one filter to `value`, or clears it when it already has that value (the summary's buttons). */
  toggle(key, value) {
    this.controls[key].value = this.values[key] === value ? "" : value;
    this.read();
  }

  clear() {
    for (const key of FILTER_KEYS) this.controls[key].value = "";
    this.read();
    this.controls.q.focus();
  }

  activeCount() {
    return FILTER_KEYS.filter((key) => this.values[key]).length;
  }

  updateCount() {
    const count = FILTER_KEYS.filter((key) => key !== "q" && this.values[key]).length;
    this.badge.textContent = count ? String(count) : "";
    this.badge.hidden = !count;
  }

  /** The filters as the API takes them (list query, bulk and export `filter`). */
  apiFilter() {
    const filter = {};
    for (const key of FILTER_KEYS) {
      const value = this.values[key];
      if (!value) continue;
      if (key === "created_from") filter[key] = new Date(`${value}T00:00:00`).toISOString();
      else if (key === "created_to") filter[key] = new Date(`${value}T23:59:59`).toISOString();
      else if (key === "expiring_within_days") filter[key] = Number(value);
      else filter[key] = value;
    }
    return filter;
  }

  /** The filters that are set, into the URL's `params`. */
  writeParams(params) {
    for (const key of FILTER_KEYS) if (this.values[key]) params.set(key, this.values[key]);
  }

  // ------------------------------------------------------------------------------ options

  setLabels(labels) {
    setOptions(this.controls.label, [["", "All labels"], ...labels.map((l) => [l.id, l.name])], this.values.label);
  }

  setAssignees(userIds) {
    setOptions(this.controls.assignee, [["", "Anyone"], ["none", "Unassigned"], ...userIds.map((id) => [id, id])],
      this.values.assignee);
  }

  /** The account's forms (`[{id, name}]`); the list also keeps the forms seen on leads. */
  addForms(forms) {
    for (const form of forms) this.knownForms.set(form.id, form.name);
    this.renderFormOptions();
  }

  /** Forms seen on a page of leads that the forms list did not have (yet). */
  noteLeadForms(leads) {
    let changed = false;
    for (const lead of leads) {
      if (lead.form && lead.form.form_id && !this.knownForms.has(lead.form.form_id)) {
        this.knownForms.set(lead.form.form_id, lead.form.form_name || lead.form.form_id);
        changed = true;
      }
    }
    if (changed) this.renderFormOptions();
  }

  renderFormOptions() {
    const options = [...this.knownForms].sort((a, b) => a[1].localeCompare(b[1]));
    setOptions(this.controls.form_id, [["", "All forms"], ...options], this.values.form_id);
  }
}
