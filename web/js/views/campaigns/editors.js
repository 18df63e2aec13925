// The dialogs of the campaigns screen: create or rename a campaign, create or edit an ad group (goal and
// targeting), create or edit an ad (its instant form). Changes send If-Match with the version shown.

import { path } from "../../api.js";
import { openDialog } from "../../dialog.js";
import { announce, field, h, replace, uniqueId } from "../../dom.js";
import { state } from "../../state.js";
import {
  GOALS, countryName, explainError, leadGoalBlockers, leadGoalHelp, parseCountries,
} from "./rules.js";

const ROUTES = { campaign: "campaigns", adgroup: "adgroups", ad: "ads" };
export const KIND_NAMES = { campaign: "campaign", adgroup: "ad group", ad: "ad" };

/** POST a new entity, or PATCH the changes of an existing one with If-Match (a 409 says so). */
export function save(kind, entity, body) {
  const accountId = state.account.id;
  if (!entity) return state.api.post(path("accounts", accountId, ROUTES[kind]), body);
  return state.api.patch(path("accounts", accountId, ROUTES[kind], entity.id), body,
    { headers: { "If-Match": String(entity.version) } });
}

/**
 * A dialog holding `fields` and a submit button; `submit()` returns the body to send or null (a problem
 * already shown). On success `onSaved(saved)`; an API error is explained in the dialog.
 */
function formDialog({ title, fields, submitText, kind, entity, body: makeBody, onSaved, extra = null }) {
  // The problem area is outside the form: the auto-capture offer in it has a form of its own.
  const formId = uniqueId("entity-form");
  const problem = h("div", { class: "form-problem" });
  const submit = h("button", { type: "submit", class: "button button-primary", form: formId }, submitText);
  const cancel = h("button", { type: "button", class: "button" }, "Cancel");
  const form = h("form", { class: "stack entity-form", id: formId }, fields, extra);
  const { close } = openDialog({ title, body: [form, problem], actions: [cancel, submit] });
  cancel.addEventListener("click", () => close("cancel"));

  async function send() {
    const body = makeBody(problem);
    if (!body) return;
    if (entity && !Object.keys(body).length) {
      close("unchanged");
      return;
    }
    submit.disabled = true;
    replace(problem);
    try {
      const saved = await save(kind, entity, body);
      announce(entity ? `Saved ${KIND_NAMES[kind]} ${saved.name}.` : `Created ${KIND_NAMES[kind]} ${saved.name}.`);
      close("saved");
      onSaved(saved);
    } catch (error) {
      submit.disabled = false;
      if (error.isConflict) {
        close("conflict");
        announce(`Someone changed this ${KIND_NAMES[kind]} meanwhile; the list was reloaded. Try again.`, { tone: "error" });
        onSaved(null);
        return;
      }
      replace(problem, explainError(error, { account: state.account, onAutoCaptureOn: send }));
      const focusable = problem.querySelector("button, input");
      (focusable || submit).focus();
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  const first = form.querySelector("input, select");
  if (first) first.focus();
}

function nameInput(value = "") {
  return h("input", { type: "text", required: true, maxlength: 200, autocomplete: "off", value });
}

export function campaignDialog({ campaign = null, onSaved }) {
  const name = nameInput(campaign ? campaign.name : "");
  formDialog({
    title: campaign ? `Rename campaign ${campaign.name}` : "New campaign",
    fields: field("Campaign name", name),
    submitText: campaign ? "Save" : "Create campaign",
    kind: "campaign",
    entity: campaign,
    body: () => {
      const value = name.value.trim();
      if (campaign) return value === campaign.name ? {} : { name: value };
      return { name: value };
    },
    onSaved,
  });
}

export function adGroupDialog({ campaign, adgroup = null, onSaved }) {
  const account = state.account;
  const name = nameInput(adgroup ? adgroup.name : "");
  const goal = h("fieldset", { class: "goal-choice" }, h("legend", {}, "Optimization goal"),
    GOALS.map(([value, text]) => h("label", { class: "check" },
      h("input", { type: "radio", name: "optimization_goal", value, checked: (adgroup ? adgroup.optimization_goal : "conversation") === value }),
      text)));
  const countries = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false",
    value: adgroup ? adgroup.targeting_countries.join(", ") : account.country || "" });
  const goalNote = h("p", { class: "hint goal-note", "aria-live": "polite" });
  const chosenGoal = () => goal.querySelector("input:checked").value;
  const explainGoal = () => {
    if (chosenGoal() !== "lead") {
      goalNote.textContent = "Conversations: the ad group is optimised for chats started from its ads.";
      return;
    }
    const blockers = leadGoalBlockers(account, parseCountries(countries.value).codes);
    goalNote.textContent = blockers.length
      ? `Leads: not offered for ${blockers.map(countryName).join(", ")}. It also needs auto-capture switched on.`
      : "Leads: needs auto-capture approved and switched on for this account.";
  };
  goal.addEventListener("change", explainGoal);
  countries.addEventListener("input", explainGoal);
  explainGoal();

  formDialog({
    title: adgroup ? `Edit ad group ${adgroup.name}` : `New ad group in ${campaign.name}`,
    fields: [field("Ad group name", name), goal, goalNote,
      field("Targeting countries", countries, { hint: "Two-letter country codes, separated by commas, e.g. SG, MY." })],
    extra: leadGoalHelp(account),
    submitText: adgroup ? "Save" : "Create ad group",
    kind: "adgroup",
    entity: adgroup,
    body: (problem) => {
      const { codes, invalid } = parseCountries(countries.value);
      if (invalid.length || !codes.length) {
        replace(problem, h("p", { class: "form-error", role: "alert" }, invalid.length
          ? `Not a two-letter country code: ${invalid.join(", ")}.` : "Target at least one country."));
        countries.focus();
        return null;
      }
      const wanted = { name: name.value.trim(), optimization_goal: chosenGoal(), targeting_countries: codes };
      if (!adgroup) return { campaign_id: campaign.id, ...wanted };
      const changes = {};
      if (wanted.name !== adgroup.name) changes.name = wanted.name;
      if (wanted.optimization_goal !== adgroup.optimization_goal) changes.optimization_goal = wanted.optimization_goal;
      if (codes.join(",") !== adgroup.targeting_countries.join(",")) changes.targeting_countries = codes;
      return changes;
    },
    onSaved,
  });
}

/** Options of the form picker; a form without a privacy policy is shown but cannot be chosen. */
function formPicker(forms, current) {
  const picker = h("select", {},
    h("option", { value: "" }, "No instant form (chats only)"),
    forms.map((form) => h("option", { value: form.id, disabled: !form.privacy_policy_url && form.id !== current },
      form.privacy_policy_url ? form.name : `${form.name} (no privacy policy: cannot be used)`)));
  picker.value = current || "";
  return picker;
}

export function adDialog({ adgroup, ad = null, forms, onSaved }) {
  const name = nameInput(ad ? ad.name : "");
  const picker = formPicker(forms, ad ? ad.form_id : null);
  const missing = forms.filter((form) => !form.privacy_policy_url);
  const formHint = missing.length
    ? `${missing.length === 1 ? "1 form has" : `${missing.length} forms have`} no privacy policy (${missing.map((f) => f.name).join(", ")}): an ad can use a form only once it links to one.`
    : "The instant form people fill in from this ad.";
  formDialog({
    title: ad ? `Edit ad ${ad.name}` : `New ad in ${adgroup.name}`,
    fields: [field("Ad name", name), field("Instant form", picker, { hint: forms.length ? formHint : "This account has no instant forms yet." })],
    submitText: ad ? "Save" : "Create ad",
    kind: "ad",
    entity: ad,
    body: () => {
      const wanted = { name: name.value.trim(), form_id: picker.value || null };
      if (!ad) return { adgroup_id: adgroup.id, ...wanted };
      const changes = {};
      if (wanted.name !== ad.name) changes.name = wanted.name;
      if (wanted.form_id !== (ad.form_id || null)) changes.form_id = wanted.form_id;
      return changes;
    },
    onSaved,
  });
}
