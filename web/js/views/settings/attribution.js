// Attribution windows (admins of an ad account): how many days after someone clicks or views an ad a lead or
// a conversation of theirs counts for that ad.   GET|PUT /accounts/{a}/attribution

import { path } from "../../api.js";
import { announce, errorBox, field, h, notice, replace, spinner } from "../../dom.js";
import { formatDateTime } from "../../format.js";
import { isAdmin, state } from "../../state.js";

const LIMITS = { click_window_days: [1, 28], view_window_days: [0, 7] };

export function render(container) {
  const account = state.account;
  const body = h("div", { class: "attribution-area", "aria-busy": "true" }, spinner("Loading attribution windows…"));
  replace(container, h("section", { class: "settings attribution-screen", "aria-labelledby": "attribution-title" },
    h("div", { class: "page-head" }, h("h2", { id: "attribution-title" }, "Attribution")),
    h("p", { class: "hint" }, "A lead or a conversation counts for the ad that last touched the person: a click within the click window, or a view within the view window (a click wins over a view). Reports and the Lead goal use these windows from the moment they are saved; earlier leads keep their attribution."),
    body));
  if (!account || account.type !== "ad_account" || !isAdmin()) {
    replace(body, notice(account && account.type !== "ad_account"
      ? "Attribution windows are a setting of an ad account. Choose an ad account in the switcher."
      : "Only admins of this ad account change the attribution windows.", { tone: "warning" }));
    body.setAttribute("aria-busy", "false");
    return;
  }
  const route = path("accounts", account.id, "attribution");
  load();

  async function load() {
    body.setAttribute("aria-busy", "true");
    try {
      draw(await state.api.get(route));
    } catch (error) {
      replace(body, errorBox(error, { retry: load }));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  }

  function draw(windows) {
    const input = (name) => {
      const [min, max] = LIMITS[name];
      return h("input", { type: "number", name, min, max, step: 1, required: true, inputmode: "numeric", value: String(windows[name]) });
    };
    const click = input("click_window_days");
    const view = input("view_window_days");
    const error = h("p", { class: "form-error", role: "alert" });
    const save = h("button", { type: "submit", class: "button button-primary" }, "Save windows");
    const form = h("form", { class: "stack attribution-form", "aria-label": "Attribution windows", novalidate: true },
      field("Click window (days)", click, { hint: "1 to 28 days after a click." }),
      field("View window (days)", view, { hint: "0 to 7 days after a view; 0 means views never attribute." }),
      error, h("div", {}, save),
      h("p", { class: "hint" }, windows.updated_at ? `Last changed ${formatDateTime(windows.updated_at)}.` : "These are the defaults; they have not been changed."));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const wanted = {};
      for (const control of [click, view]) {
        const [min, max] = LIMITS[control.name];
        const value = Number(control.value);
        if (!Number.isInteger(value) || value < min || value > max) {
          error.textContent = `${control.labels[0].textContent}: a whole number from ${min} to ${max}.`;
          control.setAttribute("aria-invalid", "true");
          control.focus();
          return;
        }
        control.removeAttribute("aria-invalid");
        wanted[control.name] = value;
      }
      save.disabled = true;
      try {
        const saved = await state.api.put(route, wanted);
        announce(`Attribution windows saved: ${saved.click_window_days} days after a click, ${saved.view_window_days} after a view.`);
        draw(saved);
        body.querySelector("button[type=submit]")?.focus();
      } catch (problem) {
        error.textContent = problem.message;
        save.disabled = false;
      }
    });
    replace(body, form);
  }
}
