// Signing in. The session lives in sessionStorage (per tab, gone when the tab closes), never in a URL.
//   local:   POST /_local/token {"sub"} -> {"token"} (the local runner's stand-in for Cognito)
//   cognito: hosted UI, OAuth 2.0 authorization code flow with PKCE (RFC 7636), public client.

const SESSION_KEY = "leadcenter.session";
const PKCE_KEY = "leadcenter.pkce";
const REFRESH_MARGIN_SECONDS = 60;

export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    return session && typeof session.token === "string" ? session : null;
  } catch {
    return null;
  }
}

function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// ------------------------------------------------------------------------------------------ local

export async function signInLocal(apiBase, userId) {
  const response = await fetch(`${apiBase}/_local/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ sub: userId }),
  });
  const payload = await response.json().catch(() => null);
  if (!response.ok || !payload || !payload.token) {
    const message = payload && payload.error ? payload.error.message : `Sign-in failed (${response.status}).`;
    throw new Error(message);
  }
  return saveSession({ mode: "local", token: payload.token, user: payload.sub || userId });
}

// ------------------------------------------------------------------------------------------ cognito

function base64url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function redirectUri(config) {
  return config.redirectUri || `${location.origin}${location.pathname}`;
}

/** Sends the browser to the hosted UI; it comes back to redirectUri with ?code=...&state=... */
export async function beginCognitoSignIn(config) {
  const verifier = randomString(64);
  const state = randomString(24);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(config),
    scope: config.scopes || "openid email profile",
    state,
    code_challenge_method: "S256",
    code_challenge: await challengeOf(verifier),
  });
  location.assign(`${config.cognitoDomain}/oauth2/authorize?${params}`);
}

/** On the way back from the hosted UI: trades the code for tokens, then strips code/state from the URL. */
export async function completeCognitoSignIn(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  const returnTo = pending ? pending.returnTo : "";
  history.replaceState(null, "", `${location.pathname}${returnTo || ""}`);
  if (params.has("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!pending || pending.state !== params.get("state")) throw new Error("Sign-in could not be verified (state mismatch). Please sign in again.");
  const tokens = await tokenRequest(config, {
    grant_type: "authorization_code",
    client_id: config.clientId,
    code: params.get("code"),
    redirect_uri: redirectUri(config),
    code_verifier: pending.verifier,
  });
  return saveSession(sessionFromTokens(tokens));
}

async function tokenRequest(config, fields) {
  const response = await fetch(`${config.cognitoDomain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(payload.error_description || payload.error || `Sign-in failed (${response.status}).`);
  return payload;
}

function claimsOf(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

function sessionFromTokens(tokens, previous = {}) {
  // API Gateway's Cognito user-pool authorizer (no OAuth scopes on the method) validates the ID token.
  const claims = claimsOf(tokens.id_token);
  return {
    mode: "cognito",
    token: tokens.id_token,
    refreshToken: tokens.refresh_token || previous.refreshToken,
    expiresAt: claims.exp || Math.floor(Date.now() / 1000) + (tokens.expires_in || 3600),
    user: claims["cognito:username"] || claims.sub,
  };
}

/** The token to send now; refreshes a Cognito session shortly before it expires. */
export async function currentToken(config) {
  const session = loadSession();
  if (!session) return null;
  if (session.mode !== "cognito" || !session.refreshToken) return session.token;
  if (session.expiresAt - Date.now() / 1000 > REFRESH_MARGIN_SECONDS) return session.token;
  try {
    const tokens = await tokenRequest(config, {
      grant_type: "refresh_token",
      client_id: config.clientId,
      refresh_token: session.refreshToken,
    });
    return saveSession(sessionFromTokens(tokens, session)).token;
  } catch {
    return session.token; // the API answers 401 and the app asks to sign in again
  }
}

export function signOut(config) {
  const session = loadSession();
  clearSession();
  if (session && session.mode === "cognito" && config.cognitoDomain) {
    const params = new URLSearchParams({ client_id: config.clientId, logout_uri: config.logoutUri || redirectUri(config) });
    location.assign(`${config.cognitoDomain}/logout?${params}`);
    return true;
  }
  return false;
}
