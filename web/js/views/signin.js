// Sign-in screen: "Sign in as" locally, the Cognito hosted UI in production.

import { beginCognitoSignIn, signInLocal } from "../auth.js";
import { field, h, replace } from "../dom.js";

export function renderSignIn(container, { config, message, onSignedIn }) {
  const error = h("p", { class: "form-error", role: "alert" }, message || "");
  if (config.mode === "cognito") {
    const button = h("button", { type: "button", class: "button button-primary" }, "Sign in");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await beginCognitoSignIn(config);
      } catch (failure) {
        button.disabled = false;
        error.textContent = failure.message;
      }
    });
    replace(container, card("Sign in to Leads Center", [
      h("p", {}, "You sign in with your company account on the secure sign-in page, then come back here."),
      error,
      button,
    ]));
    return;
  }

  const input = h("input", {
    type: "text", name: "user", required: true, autocomplete: "username", spellcheck: "false",
    autocapitalize: "off", maxlength: 128, placeholder: "demo-admin",
  });
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Sign in");
  const form = h("form", { class: "stack", "aria-describedby": "signin-hint" },
    field("User id", input),
    h("p", { class: "hint", id: "signin-hint" },
      "Local development: you sign in as any user id without a password (POST /_local/token). ",
      "With SEED=demo, try demo-admin."),
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const userId = input.value.trim();
    if (!userId) {
      error.textContent = "Enter a user id.";
      input.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = "";
    try {
      onSignedIn(await signInLocal(config.apiBase || "", userId));
    } catch (failure) {
      error.textContent = failure.message;
      submit.disabled = false;
      input.focus();
    }
  });
  replace(container, card("Sign in as", [form]));
  input.focus();
}

function card(title, body) {
  return h("section", { class: "signin card", "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title" }, title), body);
}
