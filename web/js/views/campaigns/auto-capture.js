// The offer to turn auto-capture on, where the Lead goal asks for it: apply (PUT), wait for the review,
// switch it on (PATCH), then hand back to the caller. Only admins manage auto-capture; others are told so.
//   GET|PUT|PATCH /accounts/{a}/auto-capture

import { path } from "../../api.js";
import { announce, field, h, replace, spinner } from "../../dom.js";
import { formatDateTime } from "../../format.js";
import { isAdmin, state } from "../../state.js";

const POLL_MS = 1000;
const WAIT_LIMIT_MS = 60_000; // a person reviews in production: past this, the user checks again later

/** A panel with a "Turn on auto-capture" button; `onEnabled()` runs once auto-capture is on. */
export function autoCaptureOffer({ onEnabled } = {}) {
  const panel = h("div", { class: "auto-capture", "aria-live": "polite" });
  if (!isAdmin()) {
    replace(panel, h("p", {}, "Only an admin of this account can turn auto-capture on. Ask an admin, or choose the Conversations goal."));
    return panel;
  }
  const accountId = state.account.id;
  const route = path("accounts", accountId, "auto-capture");
  const start = h("button", { type: "button", class: "button button-primary" }, "Turn on auto-capture");
  start.addEventListener("click", () => check());
  replace(panel, h("p", {}, "Auto-capture scans this account's chats for contact details and turns them into leads."), start);
  return panel;

  async function check() {
    replace(panel, spinner("Checking auto-capture…"));
    let application;
    try {
      application = await state.api.get(route);
    } catch (error) {
      if (error.status === 404) return applyForm();
      return failed(error, check);
    }
    return next(application);
  }

  function next(application) {
    if (application.status === "approved" && application.enabled) return done();
    if (application.status === "approved") return switchOn();
    if (application.status === "pending") return waitForReview(application, Date.now());
    replace(panel,
      h("p", {}, h("strong", {}, "The application was rejected"), application.decision_reason ? `: ${application.decision_reason}` : "."),
      h("p", {}, "You may apply again with corrected details."));
    return applyForm(application, { keep: true });
  }

  function applyForm(previous = null, { keep = false } = {}) {
    const url = h("input", { type: "url", required: true, maxlength: 2048, placeholder: "https://", autocomplete: "url",
      value: (previous && previous.privacy_policy_url) || "" });
    const company = h("input", { type: "text", required: true, maxlength: 200, autocomplete: "organization",
      value: previous ? previous.company_name : state.account.name });
    const submit = h("button", { type: "submit", class: "button button-primary" }, "Apply for auto-capture");
    const error = h("p", { class: "form-error", role: "alert" });
    const form = h("form", { class: "stack auto-capture-form", "aria-label": "Apply for auto-capture" },
      h("p", {}, "This account has not applied yet. The platform reviews each application; once approved, it is switched on here."),
      field("Privacy policy URL", url, { hint: "Your company's privacy policy, https only." }),
      field("Company name", company), error, h("div", {}, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        const application = await state.api.put(route, { privacy_policy_url: url.value.trim(), company_name: company.value.trim() });
        announce("Applied for auto-capture. Waiting for the review.");
        next(application);
      } catch (problem) {
        submit.disabled = false;
        error.textContent = problem.message;
        url.focus();
      }
    });
    if (keep) panel.append(form);
    else replace(panel, form);
    url.focus();
  }

  async function waitForReview(application, since) {
    const due = application.review_due_at ? ` (expected by ${formatDateTime(application.review_due_at)})` : "";
    replace(panel, spinner(`Applied on ${formatDateTime(application.applied_at)}. Waiting for the platform's review${due}…`));
    if (Date.now() - since > WAIT_LIMIT_MS) {
      const again = h("button", { type: "button", class: "button" }, "Check again");
      again.addEventListener("click", () => check());
      replace(panel, h("p", {}, "The application is still being reviewed. You will get a notification when it is decided."), again);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!panel.isConnected) return; // the dialog closed meanwhile
    try {
      const now = await state.api.get(route);
      if (now.status === "pending") return waitForReview(now, since);
      return next(now);
    } catch (error) {
      return failed(error, check);
    }
  }

  async function switchOn() {
    replace(panel, spinner("Approved. Switching auto-capture on…"));
    try {
      const application = await state.api.patch(route, { enabled: true });
      if (application.enabled) return done();
      return next(application);
    } catch (error) {
      return failed(error, switchOn);
    }
  }

  function done() {
    replace(panel, h("p", { class: "success" }, "Auto-capture is on."));
    announce("Auto-capture is on.");
    if (onEnabled) onEnabled();
  }

  function failed(error, retry) {
    const again = h("button", { type: "button", class: "button" }, "Try again");
    again.addEventListener("click", retry);
    replace(panel, h("p", { class: "form-error" }, error.message), again);
  }
}
