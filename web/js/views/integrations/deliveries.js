// A destination's delivery log (webhook, Salesforce, status events): newest first, with replay.
// Ids, codes and times only: the API never puts personal data in the log.

import { path } from "../../api.js";
import { announce, errorBox, h, replace, spinner } from "../../dom.js";
import { formatDateTime } from "../../format.js";
import { state } from "../../state.js";

const STATUS_TEXT = { pending: "Pending", succeeded: "Delivered", retrying: "Retrying", failed: "Failed" };
const TYPE_TEXT = {
  "lead.created": "Created", "lead.updated": "Updated", "lead.deleted": "Deleted",
  "lead.status_changed": "Status", "lead.test": "Test lead",
};

/** The last answer in words: "HTTP 201", "HTTP 503 (salesforce_server_unavailable)", "timeout". */
export function answerText({ last_response_code: code, last_error: error }) {
  if (code && error) return `HTTP ${code} (${error})`;
  if (code) return `HTTP ${code}`;
  return error || "—";
}

/**
 * The log of one destination. `segments` is the destination's path under the account, e.g.
 * ["integrations", "salesforce"]. Returns {element, refresh}.
 */
export function deliveryLog(segments, { title = "Deliveries" } = {}) {
  const accountId = state.account.id;
  const base = path("accounts", accountId, ...segments, "deliveries");
  const body = h("div", { class: "delivery-log-body" }, spinner("Loading deliveries…"));
  const refreshButton = h("button", { type: "button", class: "button button-small" }, "Refresh");
  refreshButton.addEventListener("click", () => refresh());
  const element = h("div", { class: "delivery-log" },
    h("div", { class: "row" }, h("h4", {}, title), refreshButton), body);

  async function replay(delivery, button) {
    button.disabled = true;
    try {
      await state.api.post(`${base}/${encodeURIComponent(delivery.id)}/replay`, {});
      announce("Delivery queued again.");
      await refresh();
    } catch (error) {
      button.disabled = false;
      announce(error.message, { tone: "error" });
    }
  }

  function row(delivery) {
    let action = null;
    if (delivery.type !== "lead.test" && (delivery.status === "failed" || delivery.status === "retrying")) {
      action = h("button", { type: "button", class: "button button-small", "aria-label": `Replay delivery ${delivery.id}` }, "Replay");
      action.addEventListener("click", () => replay(delivery, action));
    }
    return h("tr", { dataset: { id: delivery.id, status: delivery.status } },
      h("td", { "data-label": "When" }, formatDateTime(delivery.created_at)),
      h("td", { "data-label": "Type" }, TYPE_TEXT[delivery.type] || delivery.type),
      h("td", { "data-label": "Lead", class: "mono" }, delivery.lead_id),
      h("td", { "data-label": "Status" }, h("span", { class: `badge delivery-${delivery.status}` }, STATUS_TEXT[delivery.status] || delivery.status)),
      h("td", { "data-label": "Attempts" }, String(delivery.attempts)),
      h("td", { "data-label": "Last answer" }, answerText(delivery)),
      h("td", { "data-label": "Next attempt" }, delivery.next_attempt_at ? formatDateTime(delivery.next_attempt_at) : "—"),
      h("td", { "data-label": "Actions" }, action));
  }

  async function refresh() {
    try {
      const { items } = await state.api.get(base, { query: { limit: 25 } });
      if (!items.length) {
        replace(body, h("p", { class: "empty" }, "Nothing delivered yet."));
        return;
      }
      replace(body, h("div", { class: "table-wrap" }, h("table", { class: "deliveries-table cards-narrow" },
        h("caption", { class: "visually-hidden" }, title),
        h("thead", {}, h("tr", {}, ["When", "Type", "Lead", "Status", "Attempts", "Last answer", "Next attempt", "Actions"]
          .map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, items.map(row)))));
    } catch (error) {
      replace(body, errorBox(error, { retry: refresh }));
    }
  }

  refresh();
  return { element, refresh };
}

/** "Test lead accepted (HTTP 201)." or "Test lead failed: HTTP 500 (http_500)." */
export function testResultText(answer) {
  if (answer.ok) return `Test lead accepted (HTTP ${answer.status_code}).`;
  const parts = [answer.status_code ? `HTTP ${answer.status_code}` : null, answer.error_code].filter(Boolean);
  return `Test lead failed: ${parts.join(", ") || "no answer"}.`;
}
