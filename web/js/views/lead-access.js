// Lead access. An ad account's admin transfers it to a Business Center (the brand): from then on the ad
// account's own team — the agency — no longer reaches its leads. A Business Center sees what it holds.

import { path } from "../api.js";
import { missingRouteMessage, offers } from "../capabilities.js";
import { openDialog } from "../dialog.js";
import { announce, errorBox, field, h, notice, replace, select, spinner } from "../dom.js";
import { formatDateTime } from "../format.js";
import { accountById, isAdmin, state } from "../state.js";

const TRANSFER_ROUTE = "/accounts/{account_id}/lead-access/transfer";
const VIEW_ROUTE = "/accounts/{account_id}/lead-access";

export function render(container, ctx) {
  const account = state.account;
  if (!isAdmin()) {
    replace(container, h("section", {}, h("h2", {}, "Lead access"), notice("Only admins see and change lead access.", { tone: "warning" })));
    return;
  }
  const details = h("div", { class: "access-details" }, spinner("Loading lead access…"));
  const isCenter = account.type === "business_center";
  const title = isCenter ? "Ad accounts transferred to this Business Center" : "Transfer lead access";
  const parts = [h("div", { class: "page-head" }, h("h2", { id: "access-title" }, title))];
  if (isCenter) {
    parts.push(h("p", { class: "hint" }, "An ad account's admin can transfer its lead access here. This Business Center's Leads Center then lists those leads, and members with the Leads Center scope work on them."));
  } else {
    parts.push(h("p", {},
      "When an agency runs this ad account for a brand, the agency sees the brand's leads. Transferring lead access to the brand's Business Center gives the leads to the brand: ",
      h("strong", {}, "the agency — everyone in this ad account — loses access to every lead, including those still to come.")));
  }
  parts.push(details);
  replace(container, h("section", { class: "settings", "aria-labelledby": "access-title" }, parts));
  load();

  async function load() {
    if (isCenter) {
      replace(details, centerDetails());
      return;
    }
    let info = null;
    if ((await offers("GET", VIEW_ROUTE)) !== false) {
      try {
        info = await state.api.get(path("accounts", account.id, "lead-access"));
      } catch (error) {
        replace(details, errorBox(error, { retry: load }));
        return;
      }
    }
    replace(details, adAccountDetails(info));
  }

  function adAccountDetails(info) {
    const holderId = info ? info.transferred_to : account.lead_access_transferred_to;
    const history = info && Array.isArray(info.history) ? info.history : [];
    const items = [];
    if (holderId) {
      const holder = accountById(holderId);
      const last = history.filter((entry) => entry.to_account === holderId).at(-1);
      items.push(h("div", { class: "notice notice-warning", role: "status" },
        h("p", {}, h("strong", {}, "Lead access is transferred.")),
        h("p", {}, `Business Center: ${holder ? `${holder.name} (${holderId})` : holderId}.`,
          last ? ` Transferred ${formatDateTime(last.at)} by ${last.actor}.` : ""),
        h("p", {}, "This ad account's team, including the agency, no longer sees its leads.")));
    } else {
      const button = h("button", { type: "button", class: "button button-danger", id: "transfer-open" }, "Transfer lead access…");
      button.addEventListener("click", openTransfer);
      items.push(h("p", {}, "Lead access is held by this ad account: its admins see and manage its leads."), button);
    }
    if (history.length) {
      items.push(h("h3", {}, "History"), h("ul", { class: "settings-list" }, history.map((entry) => {
        const to = accountById(entry.to_account);
        return h("li", { class: "settings-item" },
          h("span", {}, `${entry.action === "transfer" ? "Transferred" : entry.action} to ${to ? to.name : entry.to_account}`),
          h("span", { class: "muted" }, `${formatDateTime(entry.at)} · ${entry.actor}`));
      })));
    }
    return items;
  }

  function centerDetails() {
    // No route lists them; the ad accounts the caller also belongs to say where their access went.
    const adAccounts = state.accounts.filter((a) => a.type === "ad_account" && a.lead_access_transferred_to === account.id);
    const parts = [];
    if (!adAccounts.length) {
      parts.push(h("p", { class: "empty" }, "None of your ad accounts has transferred its lead access here."));
    } else {
      parts.push(h("ul", { class: "settings-list" }, adAccounts.map((entry) =>
        h("li", { class: "settings-item" }, h("span", {}, `${entry.name} (${entry.id})`),
          h("a", { href: `#/a/${encodeURIComponent(account.id)}/leads` }, "See their leads")))));
    }
    parts.push(h("p", { class: "hint" }, "Ad accounts you are not a member of are not listed here; their leads still appear in this Business Center's Leads Center."));
    return parts;
  }

  function openTransfer() {
    const centers = state.accounts.filter((a) => a.type === "business_center");
    const choice = select([...centers.map((c) => [c.id, `${c.name} (${c.id})`]), ["other", "Another Business Center (enter its id)"]],
      { id: "transfer-center" });
    const otherId = h("input", { type: "text", id: "transfer-center-id", maxlength: 64, autocomplete: "off", spellcheck: "false" });
    const otherField = field("Business Center id", otherId);
    otherField.hidden = choice.value !== "other";
    choice.addEventListener("change", () => {
      otherField.hidden = choice.value !== "other";
    });
    const understood = h("input", { type: "checkbox", id: "transfer-understood" });
    const confirm = h("button", { type: "button", class: "button button-danger", disabled: true }, "Transfer lead access");
    const cancel = h("button", { type: "button", class: "button" }, "Cancel");
    const error = h("div", { class: "form-error", role: "alert" });
    understood.addEventListener("change", () => {
      confirm.disabled = !understood.checked;
    });
    const { close } = openDialog({
      title: "Transfer lead access",
      className: "modal-warning",
      body: [
        h("div", { class: "notice notice-danger" },
          h("p", {}, h("strong", {}, "The agency loses access to these leads.")),
          h("ul", {},
            h("li", {}, `Everyone in ${account.name} — the agency's admins included — can no longer view, manage, export or download its leads, from their next request.`),
            h("li", {}, "Exports and bulk jobs started before the transfer stop; earlier download links stop working."),
            h("li", {}, "Leads do not move: the Business Center gets access to every existing and future lead of this ad account."),
            h("li", {}, "This ad account cannot undo the transfer."))),
        field("Transfer to Business Center", choice),
        otherField,
        h("label", { class: "check" }, understood, `I understand that ${account.name}'s team loses access to its leads.`),
        error,
      ],
      actions: [cancel, confirm],
    });
    cancel.addEventListener("click", () => close("cancel"));
    confirm.addEventListener("click", async () => {
      const target = choice.value === "other" ? otherId.value.trim() : choice.value;
      if (!target) {
        error.textContent = "Choose a Business Center.";
        return;
      }
      confirm.disabled = true;
      try {
        await state.api.post(path("accounts", account.id, "lead-access", "transfer"), { business_center_id: target, confirm: true });
        close("done");
        const holder = accountById(target);
        announce(`Lead access of ${account.name} transferred to ${holder ? holder.name : target}. This ad account's team no longer sees its leads.`);
        await ctx.refreshAccounts();
        render(container, ctx);
      } catch (failure) {
        error.textContent = (await missingRouteMessage(failure, "POST", TRANSFER_ROUTE, "Transferring lead access")) || failure.message;
        confirm.disabled = !understood.checked;
      }
    });
    cancel.focus();
  }
}
