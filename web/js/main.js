// Entry point: sign-in, the shell (account switcher, navigation), and a small hash router.
// URLs hold ids and non-personal filters only: #/a/<account>/<view>?status=raw&label=<id>...

import config from "../config.js";
import { createClient } from "./api.js";
import { clearSession, completeCognitoSignIn, currentToken, loadSession, signOut } from "./auth.js";
import { setApiBase } from "./capabilities.js";
import { announce, errorBox, h, replace, spinner } from "./dom.js";
import { accountKind } from "./format.js";
import { mountBell, unmountBell } from "./notifications/bell.js";
import { VIEWS, parseRoute, routeHash } from "./routes.js";
import {
  accessSignature, accountById, cachedAccounts, canManageCrm, canSeeAds, canSeeLeads, canSeeReports, forgetAccounts, isAdmin, loadAccounts, preferredAccount,
  setAccount, state,
} from "./state.js";

const main = document.getElementById("main");
const view = document.getElementById("view");
let cleanup = null;
let renderToken = 0;

// ------------------------------------------------------------------------------------------ routing

export { parseRoute, routeHash };

/** Updates the query of the current route without re-rendering (filters, paging). */
export function replaceParams(params) {
  const route = parseRoute();
  if (!route.accountId) return;
  history.replaceState(history.state, "", routeHash(route.accountId, route.view, params));
}

function navigate(accountId, viewName, params = null) {
  const target = routeHash(accountId, viewName, params);
  if (location.hash === target) render();
  else location.hash = target;
}

// ------------------------------------------------------------------------------------------ shell

function renderShell() {
  const signedIn = Boolean(state.session);
  document.body.classList.toggle("signed-in", signedIn);
  const userArea = document.getElementById("user-area");
  const accountArea = document.getElementById("account-area");
  replace(userArea);
  replace(accountArea);
  if (!signedIn) {
    unmountBell();
    replace(document.getElementById("nav"));
    return;
  }
  userArea.append(
    mountBell(),
    h("span", { class: "user", title: "Signed in as" }, h("span", { class: "visually-hidden" }, "Signed in as "), state.session.user),
    h("button", { type: "button", class: "button button-quiet", onClick: handleSignOut }, "Sign out"),
  );
  if (state.accounts.length) {
    const switcher = h(
      "select",
      { id: "account-select", onChange: (event) => switchAccount(event.target.value) },
      groupAccounts(),
    );
    switcher.value = state.account ? state.account.id : "";
    accountArea.append(h("label", { for: "account-select", class: "account-label" }, "Account"), switcher);
  }
  renderNav();
}

function groupAccounts() {
  const groups = [
    ["ad_account", "Ad accounts"],
    ["business_center", "Business Centers"],
  ];
  return groups
    .map(([type, label]) => {
      const accounts = state.accounts.filter((a) => a.type === type);
      if (!accounts.length) return null;
      return h("optgroup", { label }, accounts.map((a) => h("option", { value: a.id }, `${a.name} (${a.role})`)));
    })
    .filter(Boolean);
}

function renderNav() {
  const nav = document.getElementById("nav");
  const account = state.account;
  if (!account) {
    replace(nav);
    return;
  }
  const current = parseRoute().view;
  const adAdmin = isAdmin() && account.type === "ad_account";
  const items = [["leads", "Leads"]];
  if (canSeeLeads()) items.push(["conversations", "Conversations"]);
  if (canSeeAds()) items.push(["campaigns", "Campaigns"]);
  if (canSeeReports()) items.push(["reports", "Reports"]);
  const settings = [];
  settings.push(["forms", "Instant forms"]);
  if (adAdmin) settings.push(["auto-capture", "Auto-capture"], ["attribution", "Attribution"]);
  if (canManageCrm()) settings.push(["integrations", "Integrations"]);
  if (isAdmin()) settings.push(["labels", "Labels"], ["members", account.type === "business_center" ? "Members & lead access" : "Members"]);
  if (adAdmin) settings.push(["lead-access", "Transfer lead access"]);
  if (isAdmin() && account.type === "business_center") settings.push(["lead-access", "Transferred ad accounts"]);
  const links = (list, attrs = {}) => h("ul", attrs, list.map(([name, text]) =>
    h("li", {}, h("a", { href: routeHash(account.id, name), "aria-current": name === current ? "page" : false }, text))));
  replace(
    nav,
    h("p", { class: "nav-account" }, h("span", { class: "badge" }, accountKind(account)), " ", account.name),
    links(items),
    settings.length ? [h("p", { class: "nav-group", id: "nav-settings" }, "Settings"), links(settings, { "aria-labelledby": "nav-settings" })] : null,
  );
}

function switchAccount(accountId) {
  const account = accountById(accountId);
  if (!account) return;
  const current = parseRoute().view;
  announce(`Switched to ${account.name}.`);
  navigate(account.id, current);
}

function handleSignOut() {
  state.session = null;
  forgetAccounts();
  setAccount(null);
  if (!signOut(config)) location.hash = "";
  render();
}

function sessionExpired(error) {
  if (!state.session) return;
  clearSession();
  state.session = null;
  forgetAccounts();
  setAccount(null);
  render({ signInMessage: error && error.message ? `Please sign in again (${error.message}).` : "Please sign in again." });
}

// ------------------------------------------------------------------------------------------ rendering

async function render(options = {}) {
  const token = ++renderToken;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  if (!state.session) {
    renderShell();
    document.title = "Sign in · Leads Center";
    const { renderSignIn } = await import("./views/signin.js");
    if (token !== renderToken) return;
    renderSignIn(view, { config, message: options.signInMessage, onSignedIn: signedIn });
    return;
  }
  const route = parseRoute();
  const definition = VIEWS[route.view];
  // Start the view's code loading at once, in parallel with the accounts.
  const moduleLoad = definition.load();
  if (!state.accounts.length) {
    const cached = cachedAccounts();
    if (cached && cached.length) {
      // Paint with what this tab knew, check in the background (a changed role or transfer re-renders).
      state.accounts = cached;
      revalidateAccounts(cached);
    } else {
      replace(view, spinner("Loading your accounts…"));
      try {
        await loadAccounts();
      } catch (error) {
        if (token !== renderToken) return;
        replace(view, errorBox(error, { retry: () => render() }));
        return;
      }
      if (token !== renderToken) return;
    }
  }
  const account = preferredAccount(route.accountId);
  if (!account) {
    renderShell();
    replace(view, h("section", { class: "empty" }, h("h2", {}, "No accounts yet"),
      h("p", {}, `${state.session.user} is not a member of any ad account or Business Center.`)));
    return;
  }
  if (account.id !== route.accountId) {
    history.replaceState(null, "", routeHash(account.id, route.view, route.params));
  }
  // ?lead=<id> (a notification's link) opens that lead's drawer once the screen is drawn; the URL keeps no trace.
  const leadId = route.view === "leads" ? route.params.get("lead") : null;
  if (leadId) {
    route.params.delete("lead");
    history.replaceState(null, "", routeHash(account.id, route.view, route.params));
  }
  setAccount(account);
  renderShell();
  document.title = `${definition.title} · ${account.name} · Leads Center`;
  let module;
  try {
    module = await moduleLoad;
  } catch (error) {
    replace(view, errorBox(error, { retry: () => render() }));
    return;
  }
  if (token !== renderToken) return;
  const result = module.render(view, {
    params: route.params,
    replaceParams,
    navigate: (viewName, params) => navigate(account.id, viewName, params),
    refreshAccounts: async () => {
      await loadAccounts();
      setAccount(accountById(account.id));
      renderShell();
    },
  });
  cleanup = typeof result === "function" ? result : null;
  if (leadId) import("./views/drawer.js").then(({ openLeadDrawer }) => openLeadDrawer(leadId));
}

async function revalidateAccounts(cached) {
  try {
    await loadAccounts();
  } catch {
    return; // the view's own requests report what is wrong
  }
  const id = state.account && state.account.id;
  if (!id) return;
  const before = cached.find((account) => account.id === id);
  const now = accountById(id);
  if (!now || accessSignature(before) !== accessSignature(now)) render();
  else renderShell();
}

function signedIn(session) {
  state.session = session;
  state.accounts = [];
  announce(`Signed in as ${session.user}.`);
  const route = parseRoute();
  if (!route.accountId) history.replaceState(null, "", location.pathname);
  render().then(() => main.focus({ preventScroll: true }));
}

async function start() {
  state.config = config;
  setApiBase(config.apiBase);
  state.api = createClient({ base: config.apiBase || "", getToken: () => currentToken(config), onUnauthorized: sessionExpired });
  if (config.mode === "cognito") {
    try {
      const session = await completeCognitoSignIn(config);
      if (session) announce("Signed in.");
    } catch (error) {
      render({ signInMessage: error.message });
      return;
    }
  }
  state.session = loadSession();
  window.addEventListener("hashchange", () => render());
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });
  await render();
}

start();
