// Members of an account, their roles and (in a Business Center) their lead access scopes.

import { path } from "../api.js";
import { confirmDialog } from "../dialog.js";
import { announce, errorBox, field, h, notice, replace, select, spinner } from "../dom.js";
import { ROLES, SCOPES, formatDate } from "../format.js";
import { isAdmin, loadMembers, state } from "../state.js";

export function render(container) {
  const account = state.account;
  if (!isAdmin()) {
    replace(container, h("section", {}, h("h2", {}, "Members"), notice("Only admins manage members.", { tone: "warning" })));
    return;
  }
  const isCenter = account.type === "business_center";
  const body = h("div", {}, spinner("Loading members…"));
  replace(container, h("section", { class: "settings", "aria-labelledby": "members-title" },
    h("div", { class: "page-head" }, h("h2", { id: "members-title" }, isCenter ? "Members and lead access" : "Members")),
    h("p", { class: "hint" }, isCenter
      ? "Admins hold every scope. Other members reach leads only through the scopes you grant: Leads Center (see and manage leads), Download leads, and CRM integrations. A change applies from their next request."
      : "In an ad account only admins reach leads; operators and analysts work on ads and instant forms."),
    addForm(), body));

  function scopeBoxes(member, onChange) {
    if (!isCenter) return h("span", { class: "muted" }, "—");
    const admin = member.role === "admin";
    return h("fieldset", { class: "scopes" },
      h("legend", { class: "visually-hidden" }, `Lead access of ${member.user_id}`),
      SCOPES.map(([scope, name]) => {
        const box = h("input", {
          type: "checkbox", value: scope, checked: admin || (member.lead_access || []).includes(scope), disabled: admin,
        });
        box.addEventListener("change", onChange);
        return h("label", { class: "check" }, box, name);
      }));
  }

  function chosenScopes(row) {
    return [...row.querySelectorAll(".scopes input:checked")].map((box) => box.value);
  }

  function memberRow(member) {
    const row = h("tr", { dataset: { user: member.user_id } });
    const role = select(ROLES, { value: member.role, "aria-label": `Role of ${member.user_id}` });
    const save = h("button", { type: "button", class: "button button-primary button-small", disabled: true }, "Save");
    const remove = h("button", { type: "button", class: "button button-danger button-small", "aria-label": `Remove ${member.user_id}` }, "Remove");
    const dirty = () => {
      save.disabled = false;
    };
    const scopesCell = h("td", { "data-label": "Lead access" });
    const drawScopes = () => replace(scopesCell, scopeBoxes({ ...member, role: role.value }, dirty));
    role.addEventListener("change", () => {
      drawScopes();
      dirty();
    });
    drawScopes();
    save.addEventListener("click", async () => {
      save.disabled = true;
      const body = { role: role.value };
      if (isCenter && role.value !== "admin") body.lead_access = chosenScopes(row);
      try {
        await state.api.put(path("accounts", account.id, "members", member.user_id), body);
        announce(`Saved ${member.user_id}.`);
        await refresh();
      } catch (error) {
        save.disabled = false;
        announce(error.message, { tone: "error" });
      }
    });
    remove.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Remove ${member.user_id}?`,
        message: `${member.user_id} loses access to ${account.name} at their next request.`,
        confirmText: "Remove member",
        danger: true,
      });
      if (!sure) return;
      try {
        await state.api.delete(path("accounts", account.id, "members", member.user_id));
        announce(`Removed ${member.user_id}.`);
        await refresh();
      } catch (error) {
        announce(error.message, { tone: "error" });
      }
    });
    replace(row,
      h("th", { scope: "row", "data-label": "Member" }, member.user_id, member.user_id === state.session.user ? h("span", { class: "badge" }, "you") : null),
      h("td", { "data-label": "Role" }, role),
      scopesCell,
      h("td", { "data-label": "Added" }, formatDate(member.added_at)),
      h("td", { "data-label": "Actions" }, h("span", { class: "row" }, save, remove)));
    return row;
  }

  function addForm() {
    const user = h("input", { type: "text", required: true, maxlength: 128, autocomplete: "off", spellcheck: "false", pattern: "[A-Za-z0-9_.@:\\-]+" });
    const role = select(ROLES, { value: "analyst" });
    const scopes = h("div", { class: "add-scopes" });
    const draw = () => replace(scopes, scopeBoxes({ user_id: "the new member", role: role.value, lead_access: [] }, () => {}));
    role.addEventListener("change", draw);
    draw();
    const form = h("form", { class: "inline-form add-member", "aria-label": "Add a member" },
      field("User id", user), field("Role", role), isCenter ? h("div", { class: "field" }, h("span", { class: "label-text" }, "Lead access"), scopes) : null,
      h("button", { type: "submit", class: "button button-primary" }, "Add member"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { role: role.value };
      if (isCenter && role.value !== "admin") body.lead_access = chosenScopes(scopes);
      try {
        await state.api.put(path("accounts", account.id, "members", user.value.trim()), body);
        announce(`Added ${user.value.trim()} as ${role.value}.`);
        user.value = "";
        await refresh();
        user.focus();
      } catch (error) {
        announce(error.message, { tone: "error" });
        user.focus();
      }
    });
    return form;
  }

  async function refresh() {
    try {
      const members = await loadMembers({ force: true });
      replace(body, h("div", { class: "table-wrap" }, h("table", { class: "members-table cards-narrow" },
        h("caption", { class: "visually-hidden" }, "Members"),
        h("thead", {}, h("tr", {}, ["Member", "Role", "Lead access", "Added", "Actions"].map((name) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, members.map(memberRow)))));
    } catch (error) {
      replace(body, errorBox(error, { retry: refresh }));
    }
  }

  refresh();
}
