// The Salesforce connector: connect (client credentials), its state and disable reason, test lead, log.

import { path } from "../../api.js";
import { confirmDialog } from "../../dialog.js";
import { announce, errorBox, field, h, notice, replace, spinner } from "../../dom.js";
import { STATUSES, formatDateTime } from "../../format.js";
import { state } from "../../state.js";
import { deliveryLog, testResultText } from "./deliveries.js";

const DEFAULT_STATUS_MAP = {
  raw: "Open - Not Contacted", contacted: "Working - Contacted", qualified: "Working - Contacted",
  unqualified: "Closed - Not Converted", converted: "Closed - Converted",
};

/** "a, b" -> ["a", "b"]; empty -> []. */
export function listOf(text) {
  return text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

/** "Field__c = source" lines -> {Field__c: "source"}. */
function fieldMapOf(text) {
  const map = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return map;
}

export function salesforceSection() {
  const accountId = state.account.id;
  const route = path("accounts", accountId, "integrations", "salesforce");
  const body = h("div", {}, spinner("Loading the Salesforce connector…"));
  const section = h("section", { class: "settings integration", "aria-labelledby": "sf-title" },
    h("h3", { id: "sf-title" }, "Salesforce"),
    h("p", { class: "hint" }, "New and changed leads are upserted as Salesforce Leads by their Leads Center id (custom field LeadCenter_Id__c); deleted leads are deleted there. Use a connected app with the client credentials flow."),
    body);

  async function load() {
    try {
      draw(await state.api.get(route));
    } catch (error) {
      if (error.isNotFound) drawConnect();
      else replace(body, errorBox(error, { retry: load }));
    }
  }

  function drawConnect() {
    const url = h("input", { type: "url", required: true, placeholder: "https://acme.my.salesforce.com", autocomplete: "off" });
    const clientId = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false" });
    const secret = h("input", { type: "password", required: true, autocomplete: "new-password" });
    const forms = h("input", { type: "text", autocomplete: "off", placeholder: "all forms" });
    const statusInputs = STATUSES.map(([status, name]) => [status, h("input", { type: "text", value: DEFAULT_STATUS_MAP[status] || "", "aria-label": `Salesforce status for ${name}` }), name]);
    const fieldMap = h("textarea", { rows: 3, placeholder: "Budget__c = answer:Budget\nCampaign__c = ad.campaign_name" });
    const submit = h("button", { type: "submit", class: "button button-primary" }, "Connect Salesforce");
    const form = h("form", { class: "stack-form", "aria-label": "Connect Salesforce" },
      field("Instance URL", url), field("Client id", clientId), field("Client secret", secret, { hint: "Stored encrypted; it is never shown again." }),
      field("Only leads of these forms (ids)", forms, { hint: "Comma-separated form ids; empty sends every lead." }),
      h("details", {}, h("summary", {}, "Status and field mapping"),
        h("div", { class: "status-map" }, statusInputs.map(([, input, name]) => h("label", { class: "check" }, `${name} → `, input))),
        field("Custom fields", fieldMap, { hint: "One per line: Salesforce field = answer:<question>, =<text>, ad.campaign_name, form.form_name…" })),
      submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      const status_map = Object.fromEntries(statusInputs.filter(([, input]) => input.value.trim()).map(([status, input]) => [status, input.value.trim()]));
      const body = { instance_url: url.value.trim(), client_id: clientId.value.trim(), client_secret: secret.value, status_map, field_map: fieldMapOf(fieldMap.value) };
      if (listOf(forms.value).length) body.form_ids = listOf(forms.value);
      try {
        const connector = await state.api.post(route, body);
        secret.value = "";
        announce("Salesforce connected.");
        draw(connector);
      } catch (error) {
        submit.disabled = false;
        announce(error.message, { tone: "error" });
      }
    });
    replace(body, notice("Salesforce is not connected to this account."), form);
  }

  function draw(connector) {
    const log = deliveryLog(["integrations", "salesforce"], { title: "Salesforce deliveries" });
    const result = h("p", { class: "test-result", role: "status" });
    const testButton = h("button", { type: "button", class: "button button-primary" }, "Send test lead");
    testButton.addEventListener("click", async () => {
      testButton.disabled = true;
      replace(result, "Sending a test lead…");
      try {
        const answer = await state.api.post(`${route}/test`, {});
        result.dataset.ok = String(answer.ok);
        replace(result, testResultText(answer));
        await log.refresh();
      } catch (error) {
        replace(result, error.message);
      } finally {
        testButton.disabled = false;
      }
    });
    const toggle = h("button", { type: "button", class: "button" }, connector.enabled ? "Switch off" : "Switch on");
    toggle.addEventListener("click", async () => {
      try {
        draw(await state.api.patch(route, { enabled: !connector.enabled }));
        announce(connector.enabled ? "Salesforce switched off." : "Salesforce switched on.");
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    });
    const disconnect = h("button", { type: "button", class: "button button-danger" }, "Disconnect");
    disconnect.addEventListener("click", async () => {
      const sure = await confirmDialog({ title: "Disconnect Salesforce?", message: "No more leads are sent. Records already in Salesforce stay there.", confirmText: "Disconnect", danger: true });
      if (!sure) return;
      try {
        await state.api.delete(route);
        announce("Salesforce disconnected.");
        drawConnect();
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    });
    const facts = [
      ["State", h("span", { class: `badge connector-${connector.status}` }, connector.status === "active" ? "Active" : "Disabled")],
      ["Instance", connector.instance_url], ["Client id", connector.client_id], ["Client secret", "stored encrypted (hidden)"],
      ["Forms", connector.form_ids.length ? connector.form_ids.join(", ") : "all forms"],
      ["Failing since", connector.failing_since ? formatDateTime(connector.failing_since) : "—"],
      ["Token", connector.token_cached_at ? `cached ${formatDateTime(connector.token_cached_at)}` : "none yet"],
    ];
    replace(body,
      connector.disabled_reason ? notice(connector.disabled_reason, { tone: "warning", title: "Salesforce is switched off" }) : null,
      h("dl", { class: "facts connector-facts" }, facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value)))),
      h("div", { class: "row" }, testButton, toggle, disconnect), result, log.element);
  }

  load();
  return section;
}
