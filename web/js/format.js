// Display names and formatting shared by the views.

// The seeds' words for the lead statuses, in their order.
export const STATUSES = [
  ["raw", "Raw"],
  ["qualified", "Qualified"],
  ["unqualified", "Unqualified"],
  ["contacted", "Contacted"],
  ["converted", "Converted"],
];
export const STATUS_NAMES = Object.fromEntries(STATUSES);

export const SOURCES = [
  ["form", "Instant form"],
  ["message", "Direct message"],
  ["manual", "Added by hand"],
];
export const SOURCE_NAMES = Object.fromEntries(SOURCES);
export const SOURCE_SHORT = { form: "Form", message: "Message", manual: "Manual" };

export const ACCESS = [
  ["not_accessed", "Not viewed"],
  ["accessed", "Viewed"],
];
export const ACCESS_NAMES = Object.fromEntries(ACCESS);

export const ROLES = [
  ["admin", "Admin"],
  ["operator", "Operator"],
  ["analyst", "Analyst"],
];
export const SCOPES = [
  ["leads_center", "Leads Center"],
  ["download", "Download leads"],
  ["crm", "CRM integrations"],
];

export const EXPIRY_WARNING_DAYS = 7;

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function formatDateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function formatDate(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateOnly.format(date);
}

/** Whole days until the lead expires (the API's days_left when given). */
export function daysLeft(lead) {
  if (typeof lead.days_left === "number" && lead.expires_at) return lead.days_left;
  if (!lead.expires_at) return null;
  return Math.max(0, Math.ceil((new Date(lead.expires_at).getTime() - Date.now()) / 86_400_000));
}

export function accountKind(account) {
  return account.type === "business_center" ? "Business Center" : "Ad account";
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/** The lead's display name: contact name, else a short id (never email or phone: those are not names). */
export function leadName(lead) {
  return (lead.contact && lead.contact.name) || `Unnamed lead ${String(lead.id).split("-")[0].slice(-6)}`;
}
