// The notification bell in the header: an unread badge kept fresh by BackoffPoller, and a panel listing the
// caller's notifications (across accounts) with Mark as read, Mark all as read and a link to what each is about.
//   GET /notifications?unread=true, GET /notifications, POST /notifications/{n}/read, POST /notifications/read-all

import { path } from "../api.js";
import { offers } from "../capabilities.js";
import { announce, errorBox, h, replace, spinner } from "../dom.js";
import { formatDateTime } from "../format.js";
import { hasView, routeHash } from "../routes.js";
import { accountById, state } from "../state.js";
import { BackoffPoller, setNotificationPoller } from "./poller.js";

const PAGE = 20;
let bell = null;

/** The bell's element (created once per sign-in, polling from then on). */
export function mountBell() {
  if (!bell) bell = createBell();
  return bell.root;
}

export function unmountBell() {
  if (!bell) return;
  bell.poller.stop();
  setNotificationPoller(null);
  bell.root.remove();
  bell = null;
}

function createBell() {
  let unread = 0;
  let signature = null;
  const count = h("span", { class: "bell-count", "aria-hidden": "true", hidden: true });
  const button = h("button", { type: "button", class: "bell-button", "aria-expanded": "false", "aria-controls": "notifications-panel",
    "aria-label": "Notifications", "aria-haspopup": "true" }, bellIcon(), count);
  const list = h("ul", { class: "notification-list", "aria-busy": "true" });
  const more = h("div", { class: "notification-more" });
  const markAll = h("button", { type: "button", class: "button button-small" }, "Mark all as read");
  const title = h("h2", { id: "notifications-title", tabindex: "-1" }, "Notifications");
  const panel = h("section", { id: "notifications-panel", class: "notification-panel", "aria-labelledby": "notifications-title", hidden: true },
    h("div", { class: "notification-head" }, title, markAll), list, more);
  const root = h("div", { class: "bell" }, button, panel);

  const poller = new BackoffPoller(
    () => state.api.get("/notifications", { query: { unread: "true", limit: PAGE } }),
    {
      changed: (page) => {
        const next = `${page.unread_count}|${(page.items || []).map((n) => n.id).join(",")}`;
        const fresh = next !== signature;
        signature = next;
        setUnread(typeof page.unread_count === "number" ? page.unread_count : (page.items || []).length);
        if (fresh && !panel.hidden) loadList();
        return fresh;
      },
    },
  );
  setNotificationPoller(poller);
  root.hidden = true;
  // A server without the inbox gets no bell (rather than a bell that only ever fails).
  offers("GET", "/notifications").then((offered) => {
    if (offered === false || bell === null || bell.poller !== poller) return;
    root.hidden = false;
    poller.start();
  });

  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  markAll.addEventListener("click", async () => {
    markAll.disabled = true;
    try {
      await state.api.post("/notifications/read-all", {});
      announce("All notifications marked as read.");
      setUnread(0);
      title.focus(); // the button is now disabled
      poller.nudge();
      await loadList();
    } catch (error) {
      announce(error.message, { tone: "error" });
    } finally {
      markAll.disabled = false;
    }
  });
  // Escape closes the panel wherever focus is (a control that just went disabled leaves it on the body).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || panel.hidden || document.querySelector("dialog[open]")) return;
    close();
    button.focus();
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !root.contains(event.target)) close();
  });

  function setUnread(value) {
    unread = value;
    count.hidden = unread === 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    button.setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications, none unread");
    root.dataset.unread = String(unread);
    markAll.disabled = unread === 0;
  }

  function open() {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    title.focus();
    loadList();
    poller.nudge();
  }

  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  }

  async function loadList(cursor = null) {
    if (!cursor) replace(list, h("li", {}, spinner("Loading notifications…")));
    list.setAttribute("aria-busy", "true");
    try {
      const page = await state.api.get("/notifications", { query: { limit: PAGE, cursor } });
      const items = (page.items || []).map(item);
      if (cursor) list.append(...items);
      else replace(list, items.length ? items : h("li", { class: "muted notification-empty" }, "No notifications yet."));
      if (typeof page.unread_count === "number") setUnread(page.unread_count);
      const next = page.next_cursor;
      replace(more, next ? h("button", { type: "button", class: "button button-quiet button-small", onClick: () => loadList(next) }, "Show older") : null);
    } catch (error) {
      replace(list, h("li", {}, errorBox(error, { retry: () => loadList() })));
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  function item(notification) {
    const isUnread = !notification.read_at;
    const account = accountById(notification.account_id);
    const entry = h("li", { class: `notification${isUnread ? " unread" : ""}`, dataset: { id: notification.id, type: notification.type } });
    const read = isUnread ? h("button", { type: "button", class: "button button-quiet button-small",
      "aria-label": `Mark as read: ${notification.title}` }, "Mark as read") : null;
    if (read) read.addEventListener("click", () => markRead(notification, entry, read));
    const link = linkFor(notification);
    if (link) link.addEventListener("click", () => {
      if (isUnread) markRead(notification, entry, read);
      close();
    });
    entry.append(
      h("p", { class: "notification-title" }, isUnread ? h("span", { class: "visually-hidden" }, "Unread: ") : null, notification.title || notification.type),
      h("p", { class: "notification-meta muted" }, [account ? account.name : notification.account_id, formatDateTime(notification.created_at)].filter(Boolean).join(" · ")),
      h("div", { class: "row notification-actions" }, link, read));
    return entry;
  }

  async function markRead(notification, entry, control) {
    try {
      await state.api.post(path("notifications", notification.id, "read"), {});
      notification.read_at = new Date().toISOString();
      entry.classList.remove("unread");
      entry.querySelector(".visually-hidden")?.remove();
      if (control && control.isConnected) {
        const focusAfter = document.activeElement === control;
        control.remove();
        if (focusAfter) title.focus();
      }
      setUnread(Math.max(0, unread - 1));
      poller.nudge();
    } catch (error) {
      announce(error.message, { tone: "error" });
    }
  }

  return { root, poller };
}

/** Where a notification leads: the lead (its drawer), the export's job, or the account's screen. */
function linkFor(notification) {
  const data = notification.data || {};
  const accountId = notification.account_id || data.account_id;
  if (!accountId || !accountById(accountId)) return null;
  const to = (view, text, params = null) => h("a", { href: routeHash(accountId, view, params), class: "button button-small" }, text);
  switch (notification.type) {
    case "lead.assigned":
      return data.lead_id ? to("leads", "Open lead", new URLSearchParams({ lead: data.lead_id })) : to("leads", "Open leads");
    case "export.ready":
      return data.job_id ? downloadButton(accountId, data) : null;
    case "auto_capture.reviewed":
      return to("auto-capture", "Open auto-capture");
    case "lead_access.transferred":
      return to("lead-access", "Open lead access");
    case "integration.failing":
      return hasView("integrations") ? to("integrations", "Open integrations") : null;
    default:
      if (data.lead_id) return to("leads", "Open lead", new URLSearchParams({ lead: data.lead_id }));
      return null;
  }
}

/** The export's file: the job's own download route (it needs the bearer token, so a button, not a link). */
function downloadButton(accountId, data) {
  const button = h("button", { type: "button", class: "button button-small" }, "Download CSV");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { download } = await import("../views/export.js");
      await download(data.download_url || path("accounts", accountId, "jobs", data.job_id, "download"), accountId);
      announce("Download started.");
    } catch (error) {
      announce(error.message, { tone: "error" });
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function bellIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const shape = document.createElementNS(ns, "path");
  shape.setAttribute("d", "M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z");
  shape.setAttribute("fill", "currentColor");
  svg.append(shape);
  return svg;
}
