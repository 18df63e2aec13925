// Deployment settings of the Leads Center UI. The deploy step overwrites this file per stage
// (see docs/web-ui.md); nothing else in web/ changes between local and production.
//   mode: "local"   -> "Sign in as" form backed by POST /_local/token (make run only)
//   mode: "cognito" -> Cognito hosted UI, authorization code + PKCE
export default Object.freeze({
  mode: "local",
  apiBase: "", // "" = same origin (make run); production: the API Gateway stage URL, no trailing slash
  cognitoDomain: "", // e.g. "https://leadcenter-prod.auth.us-east-1.amazoncognito.com"
  clientId: "", // the user-pool app client (public client: no secret)
  redirectUri: "", // e.g. "https://leads.example.com/" (must be an allowed callback URL of the client)
  logoutUri: "", // defaults to redirectUri
  scopes: "openid email profile",
});
