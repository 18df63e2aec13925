// The lead-ads report: a date range, group by campaign / ad group / ad, a chart of leads, conversions
// and cost per lead per day, and the table (leads, conversations, conversions, spend, costs) with totals.
//   GET /accounts/{a}/reports/leads?group_by=&from=&to=&limit=&cursor=
// URL: #/a/<account>/reports?group_by=adgroup&from=2026-03-01&to=2026-03-31 (ids and dates only).

import { path } from "../../api.js";
import { errorBox, field, h, notice, replace, select, spinner } from "../../dom.js";
import { canSeeReports, state } from "../../state.js";
import { GOAL_NAMES } from "../campaigns/rules.js";
import { dailyTable, drawChart } from "./chart.js";
import { formatCount, formatMoney } from "./figures.js";

const GROUPS = [
  ["campaign", "Campaign"],
  ["adgroup", "Ad group"],
  ["ad", "Ad"],
];
const GROUP_NAMES = Object.fromEntries(GROUPS);
const PAGE_SIZE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function render(container, ctx) {
  const account = state.account;
  if (!canSeeReports()) {
    replace(container, h("section", { class: "settings" }, h("h2", {}, "Reports"),
      notice("Reports show lead counts, so they need access to leads: admins of an ad account whose lead access was not transferred.", { tone: "warning" })));
    return;
  }
  const controller = new AbortController();
  const params = ctx.params;
  const groupBy = select(GROUPS, { value: GROUP_NAMES[params.get("group_by")] ? params.get("group_by") : "campaign" });
  const from = h("input", { type: "date", value: DAY.test(params.get("from") || "") ? params.get("from") : "" });
  const to = h("input", { type: "date", value: DAY.test(params.get("to") || "") ? params.get("to") : "" });
  const problem = h("p", { class: "form-error", role: "alert" });
  const form = h("form", { class: "inline-form report-filters", "aria-label": "Report settings" },
    field("From", from), field("To", to), field("Group by", groupBy),
    h("button", { type: "submit", class: "button button-primary" }, "Show report"), problem);
  const chartArea = h("div", { class: "chart-area" });
  const tableArea = h("div", { class: "report-table-area", "aria-busy": "true" }, spinner("Loading the report…"));
  const previous = h("button", { type: "button", class: "button", disabled: true }, "Previous");
  const next = h("button", { type: "button", class: "button", disabled: true }, "Next");
  const pageLabel = h("span", { class: "page-label" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages of the report", hidden: true }, previous, pageLabel, next);

  replace(container, h("section", { class: "reports", "aria-labelledby": "reports-title" },
    h("div", { class: "page-head" }, h("h2", { id: "reports-title" }, "Reports")),
    h("p", { class: "hint" }, "Leads and conversations counted for the ad that last touched each person, and the spend your ads reported, by UTC day. Conversions are the conversations of Conversations-goal ad groups and the leads of Leads-goal ad groups."),
    form, chartArea, tableArea, pager));

  let cursors = [null];
  let report = null;
  let latest = 0; // only the last load draws
  let applied = null; // the settings of the report shown: paging keeps them whatever the inputs say now
  let drawnWidth = 0;
  const resize = new ResizeObserver(() => {
    if (report && Math.abs(chartArea.clientWidth - drawnWidth) > 24) drawChartNow();
  });
  resize.observe(chartArea);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (from.value && to.value && from.value > to.value) {
      problem.textContent = "The first day comes after the last one.";
      from.focus();
      return;
    }
    problem.textContent = "";
    cursors = [null];
    load();
  });
  previous.addEventListener("click", () => {
    cursors.pop();
    load(cursors[cursors.length - 1], { focus: previous, paging: true });
  });
  next.addEventListener("click", () => {
    cursors.push(report.next_cursor);
    load(report.next_cursor, { focus: next, paging: true });
  });

  load();
  return () => {
    controller.abort();
    resize.disconnect();
  };

  async function load(cursor = null, { focus = null, paging = false } = {}) {
    const mine = ++latest;
    tableArea.setAttribute("aria-busy", "true");
    if (!paging || !applied) applied = { group_by: groupBy.value, from: from.value, to: to.value };
    const query = { ...applied, limit: PAGE_SIZE, cursor };
    const urlParams = new URLSearchParams();
    for (const key of ["group_by", "from", "to"]) if (query[key]) urlParams.set(key, query[key]);
    ctx.replaceParams(urlParams);
    let answer;
    try {
      answer = await state.api.get(path("accounts", account.id, "reports", "leads"), { query, signal: controller.signal });
    } catch (error) {
      if (error.name === "AbortError" || mine !== latest) return;
      report = null;
      replace(chartArea);
      replace(tableArea, errorBox(error, { retry: () => load(cursor, { paging }) }));
      tableArea.setAttribute("aria-busy", "false");
      return;
    }
    if (mine !== latest) return;
    report = answer;
    if (!from.value) from.value = report.from;
    if (!to.value) to.value = report.to;
    drawChartNow();
    replace(tableArea, reportTable(report));
    tableArea.setAttribute("aria-busy", "false");
    pager.hidden = cursors.length === 1 && !report.next_cursor;
    previous.disabled = cursors.length === 1;
    next.disabled = !report.next_cursor;
    pageLabel.textContent = `Page ${cursors.length}`;
    if (focus && !focus.disabled) focus.focus();
  }

  function drawChartNow() {
    drawnWidth = chartArea.clientWidth;
    const hasData = (report.series || []).some((d) => d.leads || d.conversions || (d.spend && Number(d.spend)));
    replace(chartArea, h("h3", {}, `Per day, ${report.from} to ${report.to}`),
      hasData ? drawChart(report, Math.max(280, drawnWidth)) : h("p", { class: "muted" }, "No leads, conversations or spend in this range."),
      dailyTable(report));
  }
}

const COLUMNS = ["Leads", "Conversations", "Conversions", "Spend", "Cost per conversion", "Cost per lead"];

function figures(row, currency) {
  return [
    formatCount(row.leads), formatCount(row.conversations), formatCount(row.conversions),
    formatMoney(row.spend, row.currency || currency), formatMoney(row.cost_per_conversion, row.currency || currency),
    formatMoney(row.cost_per_lead, row.currency || currency),
  ];
}

function reportTable(report) {
  const groupName = GROUP_NAMES[report.group_by] || "Group";
  const currency = report.totals.currency;
  if (!report.items.length) {
    return h("p", { class: "empty" }, `No ${groupName.toLowerCase()} had leads, conversations or spend from ${report.from} to ${report.to}.`);
  }
  const cells = (values) => values.map((value, i) => h("td", { class: "num", "data-label": COLUMNS[i] }, value));
  return h("div", { class: "table-wrap" }, h("table", { class: "report-table cards-narrow" },
    h("caption", { class: "visually-hidden" }, `Leads by ${groupName.toLowerCase()}, ${report.from} to ${report.to}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, groupName), COLUMNS.map((name) => h("th", { scope: "col", class: "num" }, name)))),
    h("tbody", {}, report.items.map((row) => h("tr", { dataset: { id: row.id } },
      h("th", { scope: "row", "data-label": groupName },
        h("span", { class: "report-name" }, row.name || row.id),
        row.optimization_goal ? h("span", { class: "sub" }, `Goal: ${GOAL_NAMES[row.optimization_goal] || row.optimization_goal}`) : null),
      cells(figures(row, currency))))),
    h("tfoot", {}, h("tr", { class: "totals" },
      h("th", { scope: "row", "data-label": "" }, "Total", h("span", { class: "sub" }, "all pages")),
      cells(figures(report.totals, currency))))));
}
