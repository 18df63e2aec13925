// A hand-made SVG chart of the report's daily series: leads (bars) and conversions (line) on the left
// axis, cost per lead (dashed line) on the right one. It has a title and a description, and the same
// numbers are in the "Daily figures" table under it.

import { h } from "../../dom.js";
import { formatCount, formatMoney } from "./figures.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) element.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** 0, and 4 round steps up to at least `max`. */
function ticks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return Array.from({ length: count + 1 }, (_, i) => Math.round(i * step * 100) / 100);
}

const shortDate = (iso) => iso.slice(5); // MM-DD: the range is shown above the chart

/** The chart for `report` ({series, totals, from, to}) drawn `width` px wide. */
export function drawChart(report, width) {
  const series = report.series || [];
  const narrow = width < 520;
  const height = narrow ? 220 : 260;
  const margin = { top: 26, right: 52, bottom: 28, left: 40 };
  const plotW = Math.max(10, width - margin.left - margin.right);
  const plotH = height - margin.top - margin.bottom;
  const costs = series.map((d) => (d.cost_per_lead === null || d.cost_per_lead === undefined ? null : Number(d.cost_per_lead)));
  const countTicks = ticks(Math.max(1, ...series.map((d) => Math.max(d.leads, d.conversions))));
  const costTicks = ticks(Math.max(0, ...costs.filter((c) => c !== null)));
  const countMax = countTicks[countTicks.length - 1];
  const costMax = costTicks[costTicks.length - 1] || 1;
  const band = plotW / Math.max(1, series.length);
  const x = (i) => margin.left + band * i + band / 2;
  const yCount = (v) => margin.top + plotH - (v / countMax) * plotH;
  const yCost = (v) => margin.top + plotH - (v / costMax) * plotH;
  const currency = report.totals && report.totals.currency;

  const titleId = `chart-title-${Math.random().toString(36).slice(2, 8)}`;
  const descId = `${titleId}-desc`;
  const busiest = series.reduce((best, d) => (!best || d.leads > best.leads ? d : best), null);
  const title = `Leads, conversions and cost per lead per day, ${report.from} to ${report.to}`;
  const desc = `${formatCount(report.totals.leads)} leads and ${formatCount(report.totals.conversions)} conversions in ${series.length} days; `
    + `cost per lead ${formatMoney(report.totals.cost_per_lead, currency)} overall`
    + (busiest && busiest.leads ? `; most leads on ${busiest.date} (${busiest.leads})` : "")
    + ". The daily numbers are in the Daily figures table below the chart.";

  const grid = countTicks.map((t) => svg("g", { class: "tick" },
    svg("line", { x1: margin.left, x2: margin.left + plotW, y1: yCount(t), y2: yCount(t), class: "grid" }),
    svg("text", { x: margin.left - 6, y: yCount(t) + 4, "text-anchor": "end" }, formatCount(t))));
  const costAxis = costTicks.map((t) => svg("text", { x: margin.left + plotW + 6, y: yCost(t) + 4, class: "axis-cost" },
    narrow ? String(t) : t.toFixed(t < 10 ? 2 : 0)));
  const every = Math.max(1, Math.ceil(series.length / (narrow ? 4 : 8)));
  const labels = series.map((d, i) => (i % every === 0 || i === series.length - 1) && (i === series.length - 1 || series.length - 1 - i >= every / 2)
    ? svg("text", { x: x(i), y: height - 8, "text-anchor": "middle" }, shortDate(d.date)) : null);
  const barW = Math.max(1, Math.min(24, band * 0.6));
  const bars = series.map((d, i) => svg("rect", {
    class: "bar-leads", x: x(i) - barW / 2, y: yCount(d.leads), width: barW, height: Math.max(0, margin.top + plotH - yCount(d.leads)),
  }, svg("title", {}, `${d.date}: ${d.leads} leads, ${d.conversions} conversions, cost per lead ${formatMoney(d.cost_per_lead, d.currency || currency)}`)));
  const conversions = svg("polyline", { class: "line-conversions", points: series.map((d, i) => `${x(i)},${yCount(d.conversions)}`).join(" ") });
  const dots = series.map((d, i) => svg("circle", { class: "dot-conversions", cx: x(i), cy: yCount(d.conversions), r: series.length > 60 ? 1.5 : 3 }));
  // Cost per lead: a line through the days that have one (a day without leads has no cost per lead).
  const segments = [];
  let current = [];
  costs.forEach((c, i) => {
    if (c === null) {
      if (current.length) segments.push(current);
      current = [];
    } else current.push(`${x(i)},${yCost(c)}`);
  });
  if (current.length) segments.push(current);
  const costLines = segments.map((points) => (points.length > 1
    ? svg("polyline", { class: "line-cost", points: points.join(" ") })
    : svg("circle", { class: "dot-cost", cx: points[0].split(",")[0], cy: points[0].split(",")[1], r: 3 })));

  const chart = svg("svg", {
    class: "chart", role: "img", width, height, viewBox: `0 0 ${width} ${height}`, "aria-labelledby": `${titleId} ${descId}`,
  }, svg("title", { id: titleId }, title), svg("desc", { id: descId }, desc),
  grid, costAxis, labels, bars, conversions, dots, costLines,
  svg("text", { x: margin.left + plotW + 6, y: 11, class: "axis-cost axis-unit" }, currency || ""));

  const legend = h("ul", { class: "chart-legend" },
    h("li", {}, h("span", { class: "swatch swatch-leads", "aria-hidden": "true" }), "Leads (bars, left axis)"),
    h("li", {}, h("span", { class: "swatch swatch-conversions", "aria-hidden": "true" }), "Conversions (line, left axis)"),
    h("li", {}, h("span", { class: "swatch swatch-cost", "aria-hidden": "true" }), `Cost per lead${currency ? ` in ${currency}` : ""} (dashed, right axis)`));
  return h("figure", { class: "chart-figure" }, chart, h("figcaption", {}, legend));
}

/** The series as a table: the chart's numbers for those who do not see it. */
export function dailyTable(report) {
  const currency = report.totals && report.totals.currency;
  return h("details", { class: "daily" },
    h("summary", {}, "Daily figures"),
    h("div", { class: "table-scroll" }, h("table", { class: "daily-table" },
      h("caption", { class: "visually-hidden" }, "Leads, conversions and cost per lead per day"),
      h("thead", {}, h("tr", {}, ["Day", "Leads", "Conversions", "Spend", "Cost per lead"].map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, (report.series || []).map((d) => h("tr", {},
        h("th", { scope: "row" }, d.date), h("td", { class: "num" }, formatCount(d.leads)), h("td", { class: "num" }, formatCount(d.conversions)),
        h("td", { class: "num" }, formatMoney(d.spend, d.currency || currency)),
        h("td", { class: "num" }, formatMoney(d.cost_per_lead, d.currency || currency))))))));
}
