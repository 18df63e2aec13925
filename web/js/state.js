// Application state shared by the views: who is signed in, their accounts, the current account and
// its reference data (labels, members, forms). Views read it and call the loaders; nothing else.

import { path } from "./api.js";

export const state = {
  api: null,
  config: null,
  session: null,
  accounts: [],
  account: null,
  labels: null, // [{id, name}] for state.account
  members: null, // [{user_id, role, lead_access}] when the caller may list them
  forms: null,
};

const listeners = new Set();

export function onAccountChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setAccount(account) {
  const changed = !state.account || !account || state.account.id !== account.id;
  state.account = account;
  if (changed) {
    state.labels = null;
    state.members = null;
    state.forms = null;
  }
  if (account) sessionStorage.setItem("leadcenter.account", account.id);
  for (const listener of listeners) listener(account, changed);
}

export function accountById(id) {
  return state.accounts.find((account) => account.id === id) || null;
}

export function isAdmin(account = state.account) {
  return Boolean(account && account.role === "admin");
}

/** Lead access of an ad account moved to a Business Center: its own team (the agency) has none. */
export function leadAccessTransferred(account = state.account) {
  return Boolean(account && account.type === "ad_account" && account.lead_access_transferred_to);
}

export function canSeeLeads(account = state.account) {
  if (!account || leadAccessTransferred(account)) return false;
  if (account.type === "ad_account") return account.role === "admin";
  return account.role === "admin" || (account.lead_access || []).includes("leads_center");
}

/** Campaigns, ad groups and ads: every role of an ad account sees them (a Business Center has none). */
export function canSeeAds(account = state.account) {
  return Boolean(account && account.type === "ad_account");
}

/** Admins and operators of an ad account create and change campaigns, ad groups and ads. */
export function canEditAds(account = state.account) {
  return canSeeAds(account) && (account.role === "admin" || account.role === "operator");
}

/** The lead-ads report needs lead-view rights: admins of an ad account whose lead access was not transferred. */
export function canSeeReports(account = state.account) {
  return canSeeAds(account) && canSeeLeads(account);
}

/** CRM integrations: admins of an ad account that holds its lead access, or the `crm` scope in a Business Center. */
export function canManageCrm(account = state.account) {
  if (!account || leadAccessTransferred(account)) return false;
  if (account.type === "ad_account") return account.role === "admin";
  return account.role === "admin" || (account.lead_access || []).includes("crm");
}

const ACCOUNTS_KEY = "leadcenter.accounts";

export async function loadAccounts() {
  const items = [];
  let cursor = null;
  do {
    const page = await state.api.get("/accounts", { query: { cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  state.accounts = items;
  if (state.account) state.account = accountById(state.account.id) || state.account;
  // Ids, names and roles only (no personal data): lets the next load of this tab paint before /accounts answers.
  sessionStorage.setItem(ACCOUNTS_KEY, JSON.stringify({ user: state.session && state.session.user, items }));
  return items;
}

/** On sign-out: this tab keeps nothing about the previous user. */
export function forgetAccounts() {
  sessionStorage.removeItem(ACCOUNTS_KEY);
  sessionStorage.removeItem("leadcenter.account");
  state.accounts = [];
}

/** The accounts this tab saw last for the signed-in user, or null. */
export function cachedAccounts() {
  try {
    const cached = JSON.parse(sessionStorage.getItem(ACCOUNTS_KEY) || "null");
    return cached && state.session && cached.user === state.session.user && Array.isArray(cached.items) ? cached.items : null;
  } catch {
    return null;
  }
}

/** What decides how an account's screens look; a change re-renders the current view. */
export function accessSignature(account) {
  if (!account) return "";
  return [account.id, account.type, account.role, (account.lead_access || []).join(","), account.lead_access_transferred_to || ""].join("|");
}

export function preferredAccount(wantedId) {
  const { accounts } = state;
  return (
    accountById(wantedId) ||
    accountById(sessionStorage.getItem("leadcenter.account")) ||
    accounts.find((a) => canSeeLeads(a) && a.type === "ad_account") ||
    accounts.find((a) => canSeeLeads(a)) ||
    accounts[0] ||
    null
  );
}

export async function allPages(route, query = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await state.api.get(route, { query: { ...query, cursor, limit: 100 } });
    items.push(...(page.items || []));
    cursor = page.next_cursor;
  } while (cursor && items.length < 1000);
  return items;
}

export async function loadLabels({ force = false } = {}) {
  if (state.labels && !force) return state.labels;
  const accountId = state.account.id;
  const labels = await allPages(path("accounts", accountId, "labels"));
  if (state.account && state.account.id === accountId) state.labels = labels;
  return labels;
}

/** Members, for admins only (others may not list them); null when not allowed. */
export async function loadMembers({ force = false } = {}) {
  if (!isAdmin()) return null;
  if (state.members && !force) return state.members;
  const accountId = state.account.id;
  const members = await allPages(path("accounts", accountId, "members"));
  if (state.account && state.account.id === accountId) state.members = members;
  return members;
}

export async function loadForms({ force = false } = {}) {
  if (state.forms && !force) return state.forms;
  const accountId = state.account.id;
  const forms = await allPages(path("accounts", accountId, "forms"));
  if (state.account && state.account.id === accountId) state.forms = forms;
  return forms;
}

export function labelName(id) {
  const label = (state.labels || []).find((l) => l.id === id);
  return label ? label.name : id;
}
