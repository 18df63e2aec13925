// Which routes this server offers, read once from GET /openapi.json (public). Used to tell the user
// clearly that a feature is not available yet instead of showing a bare "not found".

let loaded = null;
let apiBase = "";

/** Where the API lives (config.apiBase); the route list is fetched lazily, on the first question. */
export function setApiBase(base) {
  apiBase = base || "";
}

function normalise(template) {
  return template.replace(/\{[^}]+\}/g, "{}").replace(/<[^>]+>/g, "{}");
}

export function loadCapabilities() {
  if (!loaded) {
    loaded = fetch(`${apiBase}/openapi.json`, { headers: { Accept: "application/json" }, credentials: "omit" })
      .then((response) => (response.ok ? response.json() : null))
      .then((doc) => {
        if (!doc || !doc.paths) return null;
        const routes = new Set();
        for (const [route, operations] of Object.entries(doc.paths)) {
          for (const method of Object.keys(operations)) routes.add(`${method.toUpperCase()} ${normalise(route)}`);
        }
        return routes;
      })
      .catch(() => null);
  }
  return loaded;
}

/** true/false when the OpenAPI document says; null when it could not be read. */
export async function offers(method, template) {
  const routes = await loadCapabilities();
  if (!routes) return null;
  return routes.has(`${method.toUpperCase()} ${normalise(template)}`);
}

// How a missing route answers: 404 or 405 locally (405 when a longer route shares the path, e.g.
// /leads/{lead_id} takes /leads/bulk), 403 "Missing Authentication Token" from API Gateway.
const MISSING_ROUTE_STATUSES = new Set([403, 404, 405]);

/** The message to show when `method template` failed because the route itself is missing, else null. */
export async function missingRouteMessage(error, method, template, feature) {
  if (!error || !MISSING_ROUTE_STATUSES.has(error.status)) return null;
  const offered = await offers(method, template);
  if (offered === true || (offered === null && error.status === 403)) return null;
  return `${feature}: not available on this server yet. It needs ${method.toUpperCase()} ${template}, which the API does not offer.`;
}
