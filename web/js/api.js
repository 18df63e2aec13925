// HTTP client for the Leads Center API: JSON in and out, bearer token, errors as ApiError.
// Every failure becomes an ApiError carrying the API's own error.code and error.message, so views can
// show the server's words; a network failure is status 0.

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  get isConflict() {
    return this.status === 409;
  }

  get isNotFound() {
    return this.status === 404;
  }
}

/** Encodes each path segment: `path("accounts", id, "leads")` -> "/accounts/<id>/leads". */
export function path(...segments) {
  return "/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
}

/** A query string from an object, leaving out empty values ("", null, undefined). */
export function queryString(query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function createClient({ base = "", getToken, onUnauthorized } = {}) {
  /** The raw Response of a successful call (redirects followed); failures as ApiError. */
  async function send(method, route, { query, body, headers = {}, signal, auth = true } = {}) {
    const init = { method, headers: { Accept: "application/json", ...headers }, signal, credentials: "omit" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (auth) {
      const token = getToken ? await getToken() : null;
      if (token) init.headers.Authorization = `Bearer ${token}`;
    }
    let response;
    try {
      response = await fetch(base + route + queryString(query), init);
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      throw new ApiError(0, "network_error", "Cannot reach the Leads Center server. Check your connection and try again.");
    }
    if (response.ok) return response;
    const error = toError(response, await readBody(response));
    if (response.status === 401 && auth && onUnauthorized) onUnauthorized(error);
    throw error;
  }

  async function request(method, route, options) {
    return readBody(await send(method, route, options));
  }

  return {
    send,
    request,
    get: (route, options) => request("GET", route, options),
    post: (route, body, options = {}) => request("POST", route, { ...options, body }),
    put: (route, body, options = {}) => request("PUT", route, { ...options, body }),
    patch: (route, body, options = {}) => request("PATCH", route, { ...options, body }),
    delete: (route, options) => request("DELETE", route, options),
  };
}

async function readBody(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text };
  }
}

function toError(response, payload) {
  const error = payload && typeof payload === "object" ? payload.error : null;
  if (error && typeof error === "object") {
    const { code = "error", message, ...details } = error;
    return new ApiError(response.status, code, message || `The server answered ${response.status}.`, details);
  }
  // API Gateway's own answers (throttling, missing routes) have {"message": "..."}.
  const message = payload && typeof payload.message === "string" ? payload.message : `The server answered ${response.status}.`;
  return new ApiError(response.status, `http_${response.status}`, message);
}
