// Webhook endpoints: create (the signing secret shown once), test lead, deliveries and replay, on/off, delete.

import { path } from "../../api.js";
import { confirmDialog } from "../../dialog.js";
import { announce, errorBox, field, h, notice, replace, spinner } from "../../dom.js";
import { state } from "../../state.js";
import { deliveryLog, testResultText } from "./deliveries.js";
import { listOf } from "./salesforce.js";

const EVENTS = [["lead.created", "Created"], ["lead.updated", "Updated"], ["lead.deleted", "Deleted"]];

export function webhooksSection() {
  const accountId = state.account.id;
  const route = path("accounts", accountId, "integrations", "webhooks");
  const list = h("div", {}, spinner("Loading webhooks…"));
  const created = h("div", { "aria-live": "polite" });
  const section = h("section", { class: "settings integration", "aria-labelledby": "webhooks-title" },
    h("h3", { id: "webhooks-title" }, "Webhooks"),
    h("p", { class: "hint" }, "Each lead change is posted as signed JSON (X-Signature) to your endpoints, retried for 72 hours. An endpoint failing for 24 hours is switched off."),
    createForm(), created, list);

  function createForm() {
    const url = h("input", { type: "url", required: true, placeholder: "https://crm.example.com/hooks/leads", autocomplete: "off" });
    const boxes = EVENTS.map(([event, name]) => [event, h("input", { type: "checkbox", value: event, checked: true }), name]);
    const forms = h("input", { type: "text", autocomplete: "off", placeholder: "all forms" });
    const form = h("form", { class: "inline-form", "aria-label": "Add a webhook" },
      field("Endpoint URL", url),
      h("fieldset", { class: "scopes" }, h("legend", {}, "Events"), boxes.map(([, box, name]) => h("label", { class: "check" }, box, name))),
      field("Only forms (ids)", forms),
      h("button", { type: "submit", class: "button button-primary" }, "Add webhook"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { url: url.value.trim(), events: boxes.filter(([, box]) => box.checked).map(([value]) => value) };
      if (listOf(forms.value).length) body.form_ids = listOf(forms.value);
      try {
        const hook = await state.api.post(route, body);
        url.value = "";
        replace(created, h("div", { class: "notice notice-warning" },
          h("p", {}, h("strong", {}, "Signing secret (shown only now): "), h("code", { class: "secret" }, hook.secret)),
          h("p", {}, "Store it in your receiver to check X-Signature.")));
        announce("Webhook added.");
        await refresh();
      } catch (error) {
        announce(error.message, { tone: "error" });
        url.focus();
      }
    });
    return form;
  }

  function hookItem(hook) {
    const item = h("li", { class: "settings-item webhook", dataset: { id: hook.id } });
    const result = h("p", { class: "test-result", role: "status" });
    const logSlot = h("div", {});
    const test = h("button", { type: "button", class: "button button-small" }, "Send test lead");
    test.addEventListener("click", async () => {
      test.disabled = true;
      try {
        replace(result, testResultText(await state.api.post(`${route}/${encodeURIComponent(hook.id)}/test`, {})));
      } catch (error) {
        replace(result, error.message);
      } finally {
        test.disabled = false;
      }
    });
    const deliveries = h("button", { type: "button", class: "button button-small", "aria-expanded": "false" }, "Deliveries");
    deliveries.addEventListener("click", () => {
      const open = deliveries.getAttribute("aria-expanded") === "true";
      deliveries.setAttribute("aria-expanded", String(!open));
      replace(logSlot, open ? null : deliveryLog(["integrations", "webhooks", hook.id], { title: `Deliveries to ${hook.url}` }).element);
    });
    const toggle = h("button", { type: "button", class: "button button-small" }, hook.enabled ? "Switch off" : "Switch on");
    toggle.addEventListener("click", async () => {
      try {
        await state.api.patch(`${route}/${encodeURIComponent(hook.id)}`, { enabled: !hook.enabled });
        announce(hook.enabled ? "Webhook switched off." : "Webhook switched on.");
        await refresh();
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    });
    const remove = h("button", { type: "button", class: "button button-small button-danger" }, "Delete");
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog({ title: "Delete this webhook?", message: hook.url, confirmText: "Delete webhook", danger: true }))) return;
      try {
        await state.api.delete(`${route}/${encodeURIComponent(hook.id)}`);
        announce("Webhook deleted.");
        await refresh();
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    });
    replace(item,
      h("div", { class: "webhook-head" },
        h("span", { class: `badge connector-${hook.status}` }, hook.status === "active" ? "Active" : "Disabled"),
        h("span", { class: "mono" }, hook.url),
        h("span", { class: "muted" }, `${hook.events.join(", ")}${hook.form_ids.length ? ` · forms ${hook.form_ids.join(", ")}` : ""}`)),
      hook.disabled_reason ? notice(hook.disabled_reason, { tone: "warning" }) : null,
      h("span", { class: "row" }, test, deliveries, toggle, remove), result, logSlot);
    return item;
  }

  async function refresh() {
    try {
      const { items } = await state.api.get(route);
      replace(list, items.length ? h("ul", { class: "settings-list" }, items.map(hookItem)) : h("p", { class: "empty" }, "No webhooks yet."));
    } catch (error) {
      replace(list, errorBox(error, { retry: refresh }));
    }
  }

  refresh();
  return section;
}
