// The screens and the hash routes: #/a/<account>/<view>?<non-personal filters>. Screens load on demand.

export const VIEWS = {
  leads: { title: "Leads", load: () => import("./views/leads/index.js") },
  labels: { title: "Labels", load: () => import("./views/labels.js") },
  members: { title: "Members", load: () => import("./views/members.js") },
  "lead-access": { title: "Lead access", load: () => import("./views/lead-access.js") },
  conversations: { title: "Conversations", load: () => import("./views/conversations.js") },
  campaigns: { title: "Campaigns", load: () => import("./views/campaigns/index.js") },
  reports: { title: "Reports", load: () => import("./views/reports/index.js") },
  forms: { title: "Instant forms", load: () => import("./views/forms/index.js") },
  "auto-capture": { title: "Auto-capture", load: () => import("./views/settings/auto-capture.js") },
  attribution: { title: "Attribution", load: () => import("./views/settings/attribution.js") },
  integrations: { title: "Integrations", load: () => import("./views/integrations/index.js") },
};

export function hasView(name) {
  return Object.hasOwn(VIEWS, name);
}
export const DEFAULT_VIEW = "leads";

export function parseRoute(hash = location.hash) {
  const [pathPart, queryPart = ""] = hash.replace(/^#/, "").split("?");
  const parts = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  const route = { accountId: null, view: DEFAULT_VIEW, params: new URLSearchParams(queryPart) };
  if (parts[0] === "a" && parts[1]) {
    route.accountId = parts[1];
    route.view = VIEWS[parts[2]] ? parts[2] : DEFAULT_VIEW;
  }
  return route;
}

export function routeHash(accountId, viewName = DEFAULT_VIEW, params = null) {
  const query = params ? params.toString() : "";
  return `#/a/${encodeURIComponent(accountId)}/${viewName}${query ? `?${query}` : ""}`;
}

