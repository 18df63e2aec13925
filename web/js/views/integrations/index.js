// Integrations: the Salesforce connector, webhook endpoints and status feedback to the ad platform.
// Admins of an ad account, or Business Center members with the CRM scope (the API checks it too).

import { path } from "../../api.js";
import { announce, errorBox, field, h, notice, replace, spinner } from "../../dom.js";
import { canManageCrm, leadAccessTransferred, state } from "../../state.js";
import { deliveryLog } from "./deliveries.js";
import { salesforceSection } from "./salesforce.js";
import { webhooksSection } from "./webhooks.js";

export function render(container) {
  const account = state.account;
  if (!canManageCrm(account)) {
    const why = leadAccessTransferred(account)
      ? "Lead access of this ad account was transferred: its leads now reach the Business Center's integrations."
      : "Only admins (or Business Center members with the CRM scope) manage integrations.";
    replace(container, h("section", {}, h("h2", {}, "Integrations"), notice(why, { tone: "warning" })));
    return;
  }
  replace(container, h("section", { class: "integrations", "aria-labelledby": "integrations-title" },
    h("div", { class: "page-head" }, h("h2", { id: "integrations-title" }, "Integrations")),
    h("p", { class: "hint" }, "Send leads to your CRM as they arrive and change. Every attempt is in the delivery log."),
    salesforceSection(), webhooksSection(), statusEventsSection()));
}

function statusEventsSection() {
  const route = path("accounts", state.account.id, "integrations", "status-events");
  const body = h("div", {}, spinner("Loading status feedback…"));

  async function load() {
    try {
      draw(await state.api.get(route));
    } catch (error) {
      replace(body, errorBox(error, { retry: load }));
    }
  }

  function draw(settings) {
    const url = h("input", { type: "url", value: settings.source === "account" ? settings.url : "", placeholder: "platform default", autocomplete: "off" });
    const token = h("input", { type: "password", autocomplete: "new-password", placeholder: settings.has_access_token ? "stored (unchanged)" : "none" });
    const enabled = h("input", { type: "checkbox", checked: settings.enabled });
    const form = h("form", { class: "inline-form", "aria-label": "Status feedback" },
      field("Events endpoint", url), field("Access token", token), h("label", { class: "check" }, enabled, "Send status changes"),
      h("button", { type: "submit", class: "button" }, "Save"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const payload = { url: url.value.trim() || null, enabled: enabled.checked };
      if (token.value) payload.access_token = token.value;
      try {
        draw(await state.api.put(route, payload));
        announce("Status feedback saved.");
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    });
    const mapping = Object.entries(settings.mapping).map(([status, name]) => `${status} → ${name}`).join(", ");
    replace(body,
      settings.disabled_reason ? notice(settings.disabled_reason, { tone: "warning" }) : null,
      h("p", { class: "muted" }, `Now: ${settings.source === "off" ? "off" : settings.url} (${settings.source}). Sent: ${mapping}.`),
      form, deliveryLog(["integrations", "status-events"], { title: "Status feedback deliveries" }).element);
  }

  load();
  return h("section", { class: "settings integration", "aria-labelledby": "status-events-title" },
    h("h3", { id: "status-events-title" }, "Status feedback to the ad platform"),
    h("p", { class: "hint" }, "When a lead's status changes, the ad platform is told (lead id only), to optimise delivery towards leads that convert."),
    body);
}
