// Conversations (direct messages): see a conversation's events, "Mark as lead", then work the lead.
// A conversation exists once a messaging event names it; the list comes from the API when it offers
// one, else from the message leads already captured, and any id can be opened by hand.

import { path } from "../api.js";
import { missingRouteMessage, offers } from "../capabilities.js";
import { announce, errorBox, field, h, replace, select, spinner } from "../dom.js";
import { STATUSES, STATUS_NAMES, formatDateTime, leadName } from "../format.js";
import { state } from "../state.js";
import { openLeadDrawer } from "./drawer.js";

const LIST_ROUTE = "/accounts/{account_id}/conversations"; // not in the contract: used once a server offers it
const EVENTS_ROUTE = "/accounts/{account_id}/conversations/{conversation_id}/events";
const MARK_ROUTE = "/accounts/{account_id}/conversations/{conversation_id}/mark-as-lead";

export function render(container, ctx) {
  const accountId = state.account.id;
  const controller = new AbortController();
  const listArea = h("div", { class: "conversation-list" }, spinner("Loading conversations…"));
  const detail = h("div", { class: "conversation-detail", "aria-live": "polite" },
    h("p", { class: "muted" }, "Choose a conversation, or open one by its id."));
  const idInput = h("input", { type: "text", maxlength: 128, autocomplete: "off", spellcheck: "false", value: ctx.params.get("c") || "" });
  const open = h("form", { class: "inline-form", "aria-label": "Open a conversation by id" },
    field("Conversation id", idInput), h("button", { type: "submit", class: "button" }, "Open"));
  open.addEventListener("submit", (event) => {
    event.preventDefault();
    if (idInput.value.trim()) show(idInput.value.trim());
  });

  replace(container, h("section", { class: "conversations", "aria-labelledby": "conversations-title" },
    h("div", { class: "page-head" }, h("h2", { id: "conversations-title" }, "Conversations")),
    h("p", { class: "hint" }, "Direct messages that reach your account. Leads are captured automatically when a message shares contact details; “Mark as lead” captures one by hand."),
    open,
    h("div", { class: "split" }, listArea, detail)));

  loadList();
  if (ctx.params.get("c")) show(ctx.params.get("c"));
  return () => controller.abort();

  async function loadList() {
    try {
      let conversations;
      if (await offers("GET", LIST_ROUTE)) {
        const page = await state.api.get(path("accounts", accountId, "conversations"), { signal: controller.signal, query: { limit: 50 } });
        conversations = (page.items || []).map((c) => ({ id: c.id || c.conversation_id, at: c.last_event_at || c.updated_at, lead: c.lead_id }));
      } else {
        const page = await state.api.get(path("accounts", accountId, "leads"), { signal: controller.signal, query: { source: "message", limit: 50 } });
        conversations = (page.items || []).filter((lead) => lead.conversation_id)
          .map((lead) => ({ id: lead.conversation_id, at: lead.created_at, lead: lead.id, status: lead.status }));
      }
      replace(listArea, h("h3", {}, "Recent conversations"), conversations.length
        ? h("ul", { class: "settings-list" }, conversations.map((c) => {
          const button = h("button", { type: "button", class: "link-button" }, c.id);
          button.addEventListener("click", () => {
            idInput.value = c.id;
            show(c.id);
          });
          return h("li", { class: "settings-item" }, button,
            h("span", { class: "muted" }, [c.status ? STATUS_NAMES[c.status] : null, c.at ? formatDateTime(c.at) : null].filter(Boolean).join(" · ")));
        }))
        : h("p", { class: "empty" }, "No conversations with captured leads yet."));
    } catch (error) {
      if (error.name !== "AbortError") replace(listArea, errorBox(error, { retry: loadList }));
    }
  }

  async function show(conversationId, { lead = null } = {}) {
    const params = new URLSearchParams({ c: conversationId });
    ctx.replaceParams(params);
    if (!lead) replace(detail, spinner("Loading the conversation…"));
    const base = path("accounts", accountId, "conversations", conversationId);
    const mark = h("button", { type: "button", class: "button button-primary" }, "Mark as lead");
    const result = h("div", { class: "mark-result" }, lead ? leadCard(lead) : null);
    mark.addEventListener("click", async () => {
      mark.disabled = true;
      try {
        const lead = await state.api.post(`${base}/mark-as-lead`, {});
        announce(`Conversation ${conversationId} marked as lead.`);
        await show(conversationId, { lead });
        document.getElementById("conversation-lead-status")?.focus();
        loadList();
      } catch (error) {
        const message = (await missingRouteMessage(error, "POST", MARK_ROUTE, "Mark as lead")) || error.message;
        replace(result, h("div", { class: "notice notice-error", role: "alert" }, h("p", {}, message)));
        mark.disabled = false;
      }
    });
    let events = [];
    try {
      const page = await state.api.get(`${base}/events`, { signal: controller.signal, query: { limit: 100 } });
      events = page.items || [];
    } catch (error) {
      if (error.name === "AbortError") return;
      const message = (await missingRouteMessage(error, "GET", EVENTS_ROUTE, "Conversation events")) || error.message;
      replace(detail, h("h3", {}, `Conversation ${conversationId}`), errorBox(new Error(message)), lead ? null : mark, result);
      return;
    }
    replace(detail,
      h("h3", {}, `Conversation ${conversationId}`),
      events.length
        ? h("ol", { class: "timeline conversation-events" }, events.map((event) => h("li", { class: "timeline-item", dataset: { type: event.type } },
          h("p", {}, event.summary || (event.type || "event").replace(/[._]/g, " "), event.actor ? h("span", { class: "muted" }, ` · ${event.actor}`) : null),
          h("time", { class: "muted", datetime: event.at }, formatDateTime(event.at)))))
        : h("p", { class: "muted" }, "No events in this conversation yet."),
      lead ? null : mark, result);
  }

  function leadCard(lead) {
    if (!lead || !lead.id) return h("p", {}, "Marked as lead.");
    const status = select(STATUSES, { value: lead.status, id: "conversation-lead-status" });
    status.addEventListener("change", async () => {
      status.disabled = true;
      try {
        lead = await state.api.patch(path("accounts", accountId, "leads", lead.id), { status: status.value },
          { headers: { "If-Match": String(lead.version) } });
        announce(`${leadName(lead)}: status set to ${STATUS_NAMES[lead.status]}.`);
        await show(lead.conversation_id || idInput.value.trim(), { lead });
        document.getElementById("conversation-lead-status")?.focus();
        loadList();
      } catch (error) {
        announce(error.isConflict ? "The lead was changed meanwhile; open it to see the latest version." : error.message, { tone: "error" });
        status.value = lead.status;
      } finally {
        status.disabled = false;
      }
    });
    const openButton = h("button", { type: "button", class: "button" }, "Open lead");
    openButton.addEventListener("click", () => openLeadDrawer(lead.id, { returnFocus: () => openButton }));
    return h("div", { class: "card" }, h("p", {}, h("strong", {}, leadName(lead)), " is a lead."), field("Status", status), openButton);
  }
}
