// The lead drawer's contact card: the details, and (Edit contact) a form for name, email, phone and other
// contacts. Saving is a PATCH {contact} with If-Match, done by the drawer (`save`); the server's 4xx answers
// are shown next to the fields they name (error.problems[].field or error.field, e.g. "contact.email").

import { h, uniqueId } from "../dom.js";
import { ACCESS_NAMES, formatDateTime } from "../format.js";

export const CONTACT_KINDS = [
  ["whatsapp", "WhatsApp"], ["line", "LINE"], ["instagram", "Instagram"], ["facebook", "Facebook"],
  ["messenger", "Messenger"], ["twitter", "X (Twitter)"], ["linkedin", "LinkedIn"], ["wechat", "WeChat"],
  ["weibo", "Weibo"], ["snapchat", "Snapchat"], ["email", "Email"], ["phone", "Phone"],
];
const KIND_NAMES = Object.fromEntries(CONTACT_KINDS);

/**
 * `save(contact)` resolves when saved (or when the drawer handled a conflict by reloading) and rejects with
 * the ApiError of any other failure. `message` is a notice to show on top (after a conflict).
 */
export function contactSection(lead, { save, definitionList, message = null, editing = false }) {
  const section = h("section", { "aria-labelledby": "drawer-contact", class: "contact-card" });
  if (editing) showForm();
  else showCard();
  return section;

  function showCard() {
    const contact = lead.contact || {};
    const rows = [
      ["Name", contact.name],
      ["Email", contact.email],
      ["Phone", contact.phone],
      ...(contact.others || []).map((other) => [KIND_NAMES[other.kind] || other.kind, other.value]),
      ["Country", lead.region],
    ];
    const accessed = lead.access_status === "accessed"
      ? `Viewed${lead.accessed_by ? ` by ${lead.accessed_by}` : ""}${lead.accessed_at ? `, ${formatDateTime(lead.accessed_at)}` : ""}`
      : ACCESS_NAMES.not_accessed;
    const edit = h("button", { type: "button", class: "button button-quiet button-small", id: "drawer-edit-contact" }, "Edit contact");
    edit.addEventListener("click", () => showForm());
    section.replaceChildren(
      h("div", { class: "section-head" }, h("h3", { id: "drawer-contact" }, "Contact"), edit),
      message ? h("p", { class: "notice notice-warning", role: "alert" }, message) : null,
      definitionList(rows),
      h("p", { class: "hint" }, accessed),
    );
  }

  function showForm() {
    message = null;
    const contact = lead.contact || {};
    const inputs = {
      name: h("input", { type: "text", maxlength: 200, autocomplete: "off", value: contact.name || "" }),
      email: h("input", { type: "email", maxlength: 320, autocomplete: "off", value: contact.email || "" }),
      phone: h("input", { type: "tel", maxlength: 40, autocomplete: "off", value: contact.phone || "", placeholder: "+6591234567" }),
    };
    const errors = {};
    const general = h("p", { class: "form-error", role: "alert" });
    const others = h("ul", { class: "other-contacts", "aria-label": "Other contacts" });
    const otherRows = [];
    const addOther = (other = { kind: "whatsapp", value: "" }) => {
      const kind = h("select", { "aria-label": `Kind of other contact ${otherRows.length + 1}` },
        CONTACT_KINDS.map(([value, text]) => h("option", { value }, text)));
      kind.value = other.kind;
      const value = h("input", { type: "text", maxlength: 320, required: true, value: other.value,
        "aria-label": `Other contact ${otherRows.length + 1}` });
      const error = errorLine(value);
      const row = { kind, value, error };
      const remove = h("button", { type: "button", class: "button button-quiet button-small",
        "aria-label": `Remove other contact ${otherRows.length + 1}` }, "Remove");
      const item = h("li", { class: "other-contact" }, kind, value, remove, error);
      remove.addEventListener("click", () => {
        otherRows.splice(otherRows.indexOf(row), 1);
        item.remove();
        addButton.focus();
      });
      otherRows.push(row);
      others.append(item);
      return value;
    };
    const addButton = h("button", { type: "button", class: "button button-small" }, "Add another contact");
    addButton.addEventListener("click", () => addOther().focus());
    (contact.others || []).forEach((other) => addOther(other));

    const save_ = h("button", { type: "submit", class: "button button-primary button-small" }, "Save contact");
    const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
    cancel.addEventListener("click", () => {
      showCard();
      document.getElementById("drawer-edit-contact")?.focus();
    });
    const labelled = (text, name) => {
      const input = inputs[name];
      input.id = `drawer-contact-${name}`;
      errors[name] = errorLine(input);
      return h("div", { class: "field" }, h("label", { for: input.id }, text), input, errors[name]);
    };
    const form = h("form", { class: "stack contact-form", "aria-labelledby": "drawer-contact", novalidate: true },
      general, labelled("Name", "name"), labelled("Email", "email"), labelled("Phone", "phone"),
      h("fieldset", { class: "fieldset" }, h("legend", {}, "Other contacts"), others, addButton),
      h("div", { class: "row" }, save_, cancel));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors();
      save_.disabled = true;
      const wanted = {
        name: inputs.name.value.trim() || null,
        email: inputs.email.value.trim() || null,
        phone: inputs.phone.value.trim() || null,
        others: otherRows.filter((row) => row.value.value.trim()).map((row) => ({ kind: row.kind.value, value: row.value.value.trim() })),
      };
      // Only what changed: the activity names those fields, and an untouched one is not rewritten.
      const changed = Object.fromEntries(Object.entries(wanted)
        .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(key === "others" ? contact.others || [] : contact[key] || null)));
      if (!Object.keys(changed).length) {
        showCard();
        document.getElementById("drawer-edit-contact")?.focus();
        return;
      }
      try {
        await save(changed);
      } catch (error) {
        save_.disabled = false;
        showErrors(error);
      }
    });
    section.replaceChildren(h("div", { class: "section-head" }, h("h3", { id: "drawer-contact" }, "Edit contact")), form);
    inputs.name.focus();

    function clearErrors() {
      general.textContent = "";
      for (const line of [...Object.values(errors), ...otherRows.map((row) => row.error)]) setError(line, "");
    }

    function showErrors(error) {
      const problems = Array.isArray(error.details && error.details.problems) ? error.details.problems
        : [{ field: (error.details && error.details.field) || "", detail: error.message }];
      let first = null;
      const unplaced = [];
      for (const problem of problems) {
        const line = lineFor(problem.field || "");
        const text = problem.detail || problem.problem || error.message;
        if (line) {
          setError(line, text);
          first = first || line.control;
        } else unplaced.push(text);
      }
      if (unplaced.length || !first) general.textContent = unplaced.length ? unplaced.join(" ") : error.message;
      (first || inputs.name).focus();
    }

    function lineFor(path) {
      const parts = path.split(".").filter((part) => part && part !== "body" && part !== "contact");
      if (parts[0] === "others" && parts.length > 1 && otherRows[Number(parts[1])]) return otherRows[Number(parts[1])].error;
      return errors[parts[0]] || null;
    }
  }
}

function errorLine(control) {
  const line = h("p", { class: "field-error", id: uniqueId("error") });
  line.control = control;
  const described = control.getAttribute("aria-describedby");
  control.setAttribute("aria-describedby", described ? `${described} ${line.id}` : line.id);
  return line;
}

function setError(line, text) {
  line.textContent = text;
  if (text) line.control.setAttribute("aria-invalid", "true");
  else line.control.removeAttribute("aria-invalid");
}
