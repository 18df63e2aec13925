// Numbers of the lead-ads report as shown: counts with digit grouping, money exactly as the API gives it
// (a decimal string) with its currency, "—" where there is none (a cost is null where its count is 0).

const counts = new Intl.NumberFormat("en-US");

export function formatCount(value) {
  return typeof value === "number" ? counts.format(value) : "—";
}

export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "—";
  return currency ? `${amount} ${currency}` : String(amount);
}

/** YYYY-MM-DD of a date in UTC (the report's days are UTC days). */
export function utcDay(date) {
  return date.toISOString().slice(0, 10);
}

/** The default range: the last 30 UTC days, today included. */
export function defaultRange(now = new Date()) {
  const to = utcDay(now);
  const from = utcDay(new Date(now.getTime() - 29 * 86_400_000));
  return { from, to };
}
