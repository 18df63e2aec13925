// The rules of lead ads as the API applies them (CONTRACT.md, "Lead ads and the Lead optimization goal"),
// spelled out where they bite: the Lead goal's countries, auto-capture, and forms without a privacy policy.

import { errorBox, h, notice } from "../../dom.js";
import { autoCaptureOffer } from "./auto-capture.js";

export const GOALS = [
  ["conversation", "Conversations"],
  ["lead", "Leads"],
];
export const GOAL_NAMES = Object.fromEntries(GOALS);
export const STATUS_NAMES = { active: "Active", paused: "Paused" };

// The Lead goal is offered where the account's country and every targeted country are in this list.
export const LEAD_GOAL_MARKETS = [
  ["Asia-Pacific", "SG MY PH TH VN ID KH JP AU NZ"],
  ["Latin America", "AR BR CL CO PE EC BO GY PY UY VE BZ CR DO SV GT HN NI PA MX"],
  ["Middle East, Africa and South Asia", "SA AE QA OM KW LB JO IQ IL EG LK MA KE DZ NG ZA PK"],
];
export const LEAD_GOAL_COUNTRIES = new Set(LEAD_GOAL_MARKETS.flatMap(([, codes]) => codes.split(" ")));

const regionNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "region" }) : null;

/** "SG (Singapore)"; just the code when the browser has no names. */
export function countryName(code) {
  let name = null;
  try {
    name = regionNames ? regionNames.of(code) : null;
  } catch {
    name = null;
  }
  return name && name !== code ? `${code} (${name})` : code;
}

/** "sg, my; th" -> {codes: ["SG", "MY", "TH"], invalid: []}: two letters each, duplicates dropped. */
export function parseCountries(text) {
  const codes = [];
  const invalid = [];
  for (const part of String(text).split(/[\s,;]+/).filter(Boolean)) {
    const code = part.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) invalid.push(part);
    else if (!codes.includes(code)) codes.push(code);
  }
  return { codes, invalid };
}

/** Countries that keep the Lead goal away (the account's own first), as the API would name them. */
export function leadGoalBlockers(account, codes) {
  const all = [account.country, ...codes].filter(Boolean);
  return [...new Set(all)].filter((code) => !LEAD_GOAL_COUNTRIES.has(code));
}

/** What the Lead goal needs, and where it is offered (a disclosure, so it is there when wanted). */
export function leadGoalHelp(account) {
  return h("details", { class: "rules" },
    h("summary", {}, "When can an ad group optimise for leads?"),
    h("ul", {},
      h("li", {}, "Auto-capture must be approved and switched on for this account: a lead from a chat needs the chat to be scanned for contact details."),
      h("li", {}, `The account's country (${countryName(account.country)}) and every targeted country must be where the Lead goal is offered:`)),
    h("dl", { class: "markets" }, LEAD_GOAL_MARKETS.map(([region, codes]) => [h("dt", {}, region), h("dd", {}, codes.split(" ").join(", "))])),
    h("p", { class: "hint" }, "The Conversations goal has no such rule."));
}

/**
 * The API's answer to a create or change, explained: which countries are not offered and why, the
 * offer to turn auto-capture on (`onAutoCaptureOn` runs once it is on), forms without a privacy policy.
 */
export function explainError(error, { account, onAutoCaptureOn } = {}) {
  if (error && error.code === "lead_goal_unavailable") {
    const countries = Array.isArray(error.details.countries) ? error.details.countries : [];
    return h("div", { class: "notice notice-error", role: "alert" },
      h("p", {}, h("strong", {}, "The Lead goal is not offered here. ")),
      countries.length
        ? h("p", {}, "Not offered for: ", countries.map((code) => (code === account.country
          ? `${countryName(code)}, the account's own country` : countryName(code))).join("; "), ".")
        : h("p", {}, error.message),
      h("p", {}, countries.includes(account.country)
        ? "The account is registered in a country where the Lead goal is not offered: use the Conversations goal."
        : "Remove these countries from the targeting, or choose the Conversations goal."),
      h("p", { class: "hint" }, "The Lead goal is offered in: ", LEAD_GOAL_MARKETS.map(([, codes]) => codes.split(" ").join(", ")).join("; "), "."));
  }
  if (error && error.code === "auto_capture_required") {
    return h("div", { class: "notice notice-warning", role: "alert" },
      h("p", {}, h("strong", {}, "The Lead goal needs auto-capture. ")),
      h("p", {}, "Leads from chats are captured only while auto-capture is approved and switched on for this account."),
      autoCaptureOffer({ onEnabled: onAutoCaptureOn }));
  }
  if (error && error.code === "privacy_policy_required") {
    return h("div", { class: "notice notice-error", role: "alert" },
      h("p", {}, h("strong", {}, "This form has no privacy policy. ")),
      h("p", {}, "An ad can use an instant form only once the form links to a privacy policy (https). Add one to the form, or choose another form."));
  }
  return errorBox(error);
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, STATUS_NAMES[status] || status);
}

export function goalBadge(goal) {
  return goal ? h("span", { class: `badge goal-${goal}` }, `Goal: ${GOAL_NAMES[goal] || goal}`) : null;
}

export function readOnlyNotice() {
  return notice("You can view campaigns, ad groups and ads. Admins and operators of the ad account create and change them.",
    { title: "View only" });
}
