// The auto-capture screen (admins of an ad account): who may apply, the application (company and privacy
// policy, as an uploaded PDF or a URL), its review (pending, approved, rejected), and the on/off switch.
//   GET|PUT|PATCH /accounts/{a}/auto-capture, POST .../auto-capture/privacy-policy-upload

import { path } from "../../api.js";
import { announce, errorBox, field, h, notice, replace, spinner } from "../../dom.js";
import { formatDateTime } from "../../format.js";
import { isAdmin, state } from "../../state.js";
import { nudgeNotifications } from "../../notifications/poller.js";
import { countryName } from "../campaigns/rules.js";
import { MAX_PDF_BYTES, megabytes, pdfProblem, uploadPrivacyPolicy } from "./privacy-upload.js";

// The backend's list (AUTO_CAPTURE_MARKETS, default in leadcenter/config.py); an API answer that names the
// markets (`markets` on the application or on a 422) takes precedence.
const DEFAULT_MARKETS = ["ID", "SG", "MY", "PH", "TH", "VN"];
const POLL_MS = 1000;
const WAIT_LIMIT_MS = 60_000;
const STATUS_TEXT = { pending: "Pending review", approved: "Approved", rejected: "Rejected" };

export function render(container) {
  const account = state.account;
  const head = h("div", { class: "page-head" }, h("h2", { id: "auto-capture-title" }, "Auto-capture"));
  const section = h("section", { class: "settings auto-capture-screen", "aria-labelledby": "auto-capture-title" }, head);
  replace(container, section);
  if (!account || account.type !== "ad_account" || !isAdmin()) {
    section.append(notice(account && account.type !== "ad_account"
      ? "Auto-capture is a setting of an ad account. Choose an ad account in the switcher."
      : "Only admins of this ad account manage auto-capture.", { tone: "warning" }));
    return;
  }
  const route = path("accounts", account.id, "auto-capture");
  let markets = DEFAULT_MARKETS;
  const marketsBox = h("div", { class: "markets-box" });
  const statusArea = h("div", { class: "auto-capture-status", "aria-live": "polite", "aria-busy": "true" }, spinner("Loading auto-capture…"));
  const formArea = h("div", {});
  let alive = true;
  section.append(
    h("p", { class: "hint" }, "Auto-capture reads this account's chats for contact details (email, phone, WhatsApp, LINE…) and turns them into leads. The platform reviews each application first; once approved, you switch it on and off here."),
    marketsBox, statusArea, formArea);
  drawMarkets();
  load();
  return () => { alive = false; };

  function drawMarkets() {
    const eligible = markets.includes(account.country);
    replace(marketsBox, h("details", { class: "rules", open: !eligible },
      h("summary", {}, "Which accounts may apply?"),
      h("p", {}, "Ad accounts registered in these markets:"),
      h("ul", { class: "market-list" }, markets.map((code) => h("li", {}, countryName(code)))),
      h("p", { class: eligible ? "success" : "form-error" }, eligible
        ? `This account is registered in ${countryName(account.country)}, so it may apply.`
        : `This account is registered in ${countryName(account.country)}, where auto-capture is not offered, so it cannot apply.`)));
  }

  async function load({ since = null } = {}) {
    let application = null;
    try {
      application = await state.api.get(route);
    } catch (error) {
      if (error.status !== 404) {
        replace(statusArea, errorBox(error, { retry: () => load() }));
        statusArea.setAttribute("aria-busy", "false");
        return;
      }
    }
    if (!alive) return;
    if (application && Array.isArray(application.markets)) {
      markets = application.markets;
      drawMarkets();
    }
    drawStatus(application);
    if (application && application.status === "pending") waitForReview(since || Date.now());
    else if (since) nudgeNotifications(); // decided while we watched: the bell has news
  }

  async function waitForReview(since) {
    if (Date.now() - since > WAIT_LIMIT_MS) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (alive && statusArea.isConnected) load({ since });
  }

  function drawStatus(application) {
    statusArea.setAttribute("aria-busy", "false");
    if (!application) {
      replace(statusArea, h("p", { class: "muted" }, "This account has not applied for auto-capture yet."));
      drawForm(null);
      return;
    }
    const status = application.status;
    const policy = application.privacy_policy_upload ? "Uploaded PDF" : application.privacy_policy_url;
    const rows = [
      ["Review", h("span", { class: `badge review-${status}` }, STATUS_TEXT[status] || status)],
      ["Company", application.company_name],
      ["Privacy policy", policy],
      ["Applied", `${formatDateTime(application.applied_at)}${application.applied_by ? ` by ${application.applied_by}` : ""}`],
      application.reviewed_at ? ["Reviewed", formatDateTime(application.reviewed_at)] : null,
      application.decision_reason ? ["Reason", application.decision_reason] : null,
    ].filter(Boolean);
    const parts = [h("h3", {}, "Application"), h("dl", { class: "facts" }, rows.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))))];
    if (status === "pending") {
      const due = application.review_due_at ? ` Expected by ${formatDateTime(application.review_due_at)}.` : "";
      parts.push(h("p", { class: "hint" }, `The platform is reviewing the application; you will get a notification when it is decided.${due}`));
    }
    if (status === "rejected") parts.push(notice("The application was rejected. Correct the details below and apply again.", { tone: "warning" }));
    parts.push(toggle(application));
    replace(statusArea, parts);
    drawForm(application);
  }

  function toggle(application) {
    const approved = application.status === "approved";
    const box = h("input", { type: "checkbox", role: "switch", id: "auto-capture-enabled", checked: Boolean(application.enabled), disabled: !approved });
    const hint = approved
      ? (application.enabled ? "On: new chats are scanned for contact details." : "Off: chats are not scanned.")
      : "Can be switched on once the application is approved.";
    const error = h("p", { class: "form-error", role: "alert" });
    box.addEventListener("change", async () => {
      box.disabled = true;
      error.textContent = "";
      try {
        const saved = await state.api.patch(route, { enabled: box.checked });
        announce(saved.enabled ? "Auto-capture is on." : "Auto-capture is off.");
        drawStatus(saved);
        document.getElementById("auto-capture-enabled")?.focus();
      } catch (problem) {
        box.checked = !box.checked;
        box.disabled = false;
        error.textContent = problem.message;
      }
    });
    return h("div", { class: "switch-field" }, field("Capture contacts from chats", box, { hint, className: "field field-switch" }), error);
  }

  function drawForm(previous) {
    if (!markets.includes(account.country) || (previous && previous.status === "pending")) {
      replace(formArea);
      return;
    }
    const again = Boolean(previous);
    const company = h("input", { type: "text", required: true, maxlength: 200, autocomplete: "organization", value: previous ? previous.company_name : account.name });
    const pdfChoice = h("input", { type: "radio", name: "policy-kind", value: "pdf", checked: true });
    const urlChoice = h("input", { type: "radio", name: "policy-kind", value: "url" });
    const file = h("input", { type: "file", accept: "application/pdf,.pdf" });
    const url = h("input", { type: "url", maxlength: 2048, placeholder: "https://", value: previous && previous.privacy_policy_url ? previous.privacy_policy_url : "" });
    const fileField = field("Privacy policy PDF", file, { hint: `A PDF of at most ${megabytes(MAX_PDF_BYTES).replace(".0", "")}.` });
    const urlField = field("Privacy policy URL", url, { hint: "A page on your site, https only." });
    const error = h("p", { class: "form-error", role: "alert" });
    const submit = h("button", { type: "submit", class: "button button-primary" }, again ? "Apply again" : "Apply for auto-capture");
    const sync = () => {
      fileField.hidden = !pdfChoice.checked;
      urlField.hidden = pdfChoice.checked;
    };
    pdfChoice.addEventListener("change", sync);
    urlChoice.addEventListener("change", sync);
    if (previous && previous.privacy_policy_url && !previous.privacy_policy_upload) urlChoice.checked = true;
    sync();
    file.addEventListener("change", async () => {
      error.textContent = file.files[0] ? (await pdfProblem(file.files[0])) || "" : "";
    });
    const form = h("form", { class: "stack auto-capture-form", "aria-labelledby": "auto-capture-apply", novalidate: true },
      h("h3", { id: "auto-capture-apply" }, again ? "Apply again" : "Apply"),
      again ? h("p", { class: "hint" }, "A new application is reviewed again; auto-capture stays off until it is approved.") : null,
      field("Company name", company),
      h("fieldset", { class: "fieldset" }, h("legend", {}, "Privacy policy"),
        h("div", { class: "row" }, h("label", {}, pdfChoice, " Upload a PDF"), h("label", {}, urlChoice, " Link to a page")),
        fileField, urlField),
      error, h("div", {}, submit));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const body = { company_name: company.value.trim() };
      if (!body.company_name) return fail("Enter the company name.", company);
      submit.disabled = true;
      try {
        if (pdfChoice.checked) {
          const chosen = file.files[0];
          const problem = await pdfProblem(chosen);
          if (problem) return fail(problem, file);
          submit.textContent = "Uploading the PDF…";
          body.privacy_policy_upload = await uploadPrivacyPolicy(account.id, chosen);
        } else {
          if (!/^https:\/\/\S+$/i.test(url.value.trim())) return fail("Enter the privacy policy's https URL.", url);
          body.privacy_policy_url = url.value.trim();
        }
        submit.textContent = "Applying…";
        const application = await state.api.put(route, body);
        announce("Applied for auto-capture. The platform reviews it now.");
        drawStatus(application);
        if (application.status === "pending") waitForReview(Date.now());
        statusArea.querySelector("h3")?.setAttribute("tabindex", "-1");
        statusArea.querySelector("h3")?.focus();
      } catch (problem) {
        if (problem.details && Array.isArray(problem.details.markets)) {
          markets = problem.details.markets;
          drawMarkets();
        }
        fail(problem.message, pdfChoice.checked ? file : url);
      }
    });
    replace(formArea, form);

    function fail(message, control) {
      error.textContent = message;
      submit.disabled = false;
      submit.textContent = again ? "Apply again" : "Apply for auto-capture";
      control.focus();
    }
  }
}
