// Campaigns of an ad account with their ad groups and ads: goal, status, targeting, form. Admins and
// operators create, rename, retarget, pause and resume; analysts see the same, read-only.
//   GET|POST /accounts/{a}/campaigns|adgroups|ads, PATCH .../{id} with If-Match

import { path } from "../../api.js";
import { announce, errorBox, h, notice, replace, spinner } from "../../dom.js";
import { plural } from "../../format.js";
import { allPages, canEditAds, canSeeAds, loadForms, state } from "../../state.js";
import { KIND_NAMES, adDialog, adGroupDialog, campaignDialog, save } from "./editors.js";
import { countryName, goalBadge, leadGoalHelp, readOnlyNotice, statusBadge } from "./rules.js";

export function render(container) {
  const account = state.account;
  if (!canSeeAds()) {
    replace(container, h("section", { class: "settings" }, h("h2", {}, "Campaigns"),
      notice("Campaigns, ad groups and ads belong to ad accounts. Choose an ad account in the switcher.", { tone: "warning" })));
    return;
  }
  const editable = canEditAds();
  const tree = h("div", { class: "campaign-tree", "aria-busy": "true" }, spinner("Loading campaigns…"));
  const newCampaign = editable ? h("button", { type: "button", class: "button button-primary" }, "New campaign") : null;
  if (newCampaign) newCampaign.addEventListener("click", () => campaignDialog({ onSaved: (saved) => refresh(saved && `campaign:${saved.id}`) }));
  replace(container, h("section", { class: "campaigns", "aria-labelledby": "campaigns-title" },
    h("div", { class: "page-head" }, h("h2", { id: "campaigns-title" }, "Campaigns"), newCampaign),
    h("p", { class: "hint" }, "A campaign holds ad groups; an ad group sets the optimization goal (conversations or leads) and the countries it targets; its ads may use an instant form."),
    editable ? null : readOnlyNotice(),
    leadGoalHelp(account),
    tree));

  let data = { campaigns: [], adgroups: [], ads: [], forms: [] };
  refresh();

  /** Loads everything again and redraws; focus goes to the control named by `focusKey` when it exists. */
  async function refresh(focusKey = null) {
    tree.setAttribute("aria-busy", "true");
    try {
      const base = (kind) => path("accounts", account.id, kind);
      const [campaigns, adgroups, ads, forms] = await Promise.all([
        allPages(base("campaigns")), allPages(base("adgroups")), allPages(base("ads")), loadForms({ force: true }).catch(() => []),
      ]);
      if (!state.account || state.account.id !== account.id) return; // switched away meanwhile
      data = { campaigns, adgroups, ads, forms };
      draw();
      if (focusKey) {
        const target = tree.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`);
        if (target) target.focus();
      }
    } catch (error) {
      replace(tree, errorBox(error, { retry: () => refresh() }));
    } finally {
      tree.setAttribute("aria-busy", "false");
    }
  }

  function draw() {
    if (!data.campaigns.length) {
      replace(tree, h("p", { class: "empty" }, editable ? "No campaigns yet. Create the first one with New campaign." : "No campaigns yet."));
      return;
    }
    replace(tree, data.campaigns.map(campaignCard));
  }

  function actions(kind, entity, ...extra) {
    if (!editable) return null;
    const next = entity.status === "active" ? "paused" : "active";
    const toggle = h("button", { type: "button", class: "button button-small", dataset: { focus: `status:${entity.id}` },
      "aria-label": `${next === "paused" ? "Pause" : "Resume"} ${KIND_NAMES[kind]} ${entity.name}` }, next === "paused" ? "Pause" : "Resume");
    toggle.addEventListener("click", () => setStatus(kind, entity, next));
    const edit = h("button", { type: "button", class: "button button-small", dataset: { focus: `edit:${entity.id}` },
      "aria-label": `${kind === "campaign" ? "Rename" : "Edit"} ${KIND_NAMES[kind]} ${entity.name}` }, kind === "campaign" ? "Rename" : "Edit");
    edit.addEventListener("click", () => openEditor(kind, entity));
    return h("span", { class: "row entity-actions" }, edit, toggle, extra);
  }

  function openEditor(kind, entity) {
    const onSaved = () => refresh(`edit:${entity.id}`);
    if (kind === "campaign") campaignDialog({ campaign: entity, onSaved });
    else if (kind === "adgroup") adGroupDialog({ adgroup: entity, onSaved });
    else adDialog({ ad: entity, forms: data.forms, onSaved });
  }

  async function setStatus(kind, entity, status) {
    try {
      const saved = await save(kind, entity, { status });
      announce(`${KIND_NAMES[kind][0].toUpperCase()}${KIND_NAMES[kind].slice(1)} ${saved.name} ${status === "paused" ? "paused" : "resumed"}.`);
    } catch (error) {
      announce(error.isConflict ? `Someone changed ${entity.name} meanwhile; the list was reloaded.` : error.message, { tone: "error" });
    }
    await refresh(`status:${entity.id}`);
  }

  function campaignCard(campaign) {
    const groups = data.adgroups.filter((g) => g.campaign_id === campaign.id);
    const titleId = `campaign-${campaign.id}`;
    let add = null;
    if (editable) {
      add = h("button", { type: "button", class: "button button-small", dataset: { focus: `add:${campaign.id}` },
        "aria-label": `Add an ad group to ${campaign.name}` }, "Add ad group");
      add.addEventListener("click", () => adGroupDialog({ campaign, onSaved: (saved) => refresh(saved ? `edit:${saved.id}` : null) }));
    }
    return h("article", { class: "campaign card", "aria-labelledby": titleId, dataset: { id: campaign.id } },
      h("div", { class: "entity-head" },
        h("h3", { id: titleId }, campaign.name),
        statusBadge(campaign.status),
        h("span", { class: "muted entity-count" }, plural(groups.length, "ad group")),
        actions("campaign", campaign, add)),
      groups.length
        ? h("ul", { class: "adgroup-list", "aria-label": `Ad groups of ${campaign.name}` }, groups.map(adGroupItem))
        : h("p", { class: "muted" }, "No ad groups yet."));
  }

  function adGroupItem(adgroup) {
    const ads = data.ads.filter((ad) => ad.adgroup_id === adgroup.id);
    let add = null;
    if (editable) {
      add = h("button", { type: "button", class: "button button-small", dataset: { focus: `add:${adgroup.id}` },
        "aria-label": `Add an ad to ${adgroup.name}` }, "Add ad");
      add.addEventListener("click", () => adDialog({ adgroup, forms: data.forms, onSaved: (saved) => refresh(saved ? `edit:${saved.id}` : null) }));
    }
    return h("li", { class: "adgroup", dataset: { id: adgroup.id } },
      h("div", { class: "entity-head" },
        h("h4", {}, h("span", { class: "kind" }, "Ad group "), adgroup.name),
        statusBadge(adgroup.status),
        goalBadge(adgroup.optimization_goal),
        actions("adgroup", adgroup, add)),
      h("p", { class: "targeting" }, h("span", { class: "label-text" }, "Targeting: "),
        adgroup.targeting_countries.map(countryName).join(", ")),
      ads.length
        ? h("ul", { class: "ad-list", "aria-label": `Ads of ${adgroup.name}` }, ads.map(adItem))
        : h("p", { class: "muted" }, "No ads yet."));
  }

  function adItem(ad) {
    const form = ad.form_id ? data.forms.find((f) => f.id === ad.form_id) : null;
    let formText = "No instant form";
    if (ad.form_id) formText = form ? `Form: ${form.name}` : `Form: ${ad.form_id}`;
    return h("li", { class: "ad", dataset: { id: ad.id } },
      h("div", { class: "entity-head" },
        h("span", { class: "ad-name" }, h("span", { class: "kind" }, "Ad "), ad.name),
        statusBadge(ad.status),
        h("span", { class: "muted" }, formText),
        actions("ad", ad)));
  }
}
