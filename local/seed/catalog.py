"""The demo's ad accounts and lead ads: campaigns, ad groups with both optimization goals, ads, instant forms.

Created through the API as a marketer would (the ids are the server's); platform events then name them.
Lead-goal ad groups target only countries of the Lead goal's list, in accounts whose auto-capture is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRIVACY_POLICY = "https://demo.example.com/privacy"
CONTACT_QUESTIONS = (("Full name", "name"), ("Email", "email"), ("Phone number", "phone"))


@dataclass(frozen=True)
class FormSpec:
    name: str
    questions: tuple[tuple[str, tuple[str, ...]], ...]  # (question, the answers people pick from)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    goal: str  # conversation | lead
    countries: tuple[str, ...]
    ads: tuple[str, ...]


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    groups: tuple[GroupSpec, ...]
    form: FormSpec


@dataclass(frozen=True)
class Ad:
    """An ad as the platform's events name it, with what the person sees behind it."""

    ad_id: str
    ad_name: str
    adgroup_id: str
    adgroup_name: str
    campaign_id: str
    campaign_name: str
    goal: str
    countries: tuple[str, ...]
    form_id: str | None
    form: FormSpec

    def touch(self, kind: str) -> dict[str, str]:
        names = ("ad_id", "ad_name", "adgroup_id", "adgroup_name", "campaign_id", "campaign_name")
        return {"kind": kind, **{name: getattr(self, name) for name in names}}


def _form(name: str, *questions: str) -> FormSpec:
    """Each question as "Question?|answer one|answer two|..."."""
    parsed = []
    for text in questions:
        question, *answers = (part.strip() for part in text.split("|"))
        parsed.append((question, tuple(answers)))
    return FormSpec(name, tuple(parsed))


SEA = ("ID", "MY", "SG", "TH", "VN", "PH")
MAIN_CAMPAIGNS = (
    CampaignSpec(
        "Ramadan Sale 2026",
        (
            GroupSpec(
                "Ramadan - Women 25-44",
                "conversation",
                ("ID", "MY", "SG", "AE", "SA", "NG"),
                ("Ramadan video 15s", "Ramadan carousel"),
            ),
            GroupSpec(
                "Ramadan - Lookalike buyers",
                "lead",
                ("ID", "MY", "SG", "AE", "SA", "NG"),
                ("Iftar deals", "Ramadan creator video"),
            ),
        ),
        _form(
            "Ramadan voucher sign-up",
            "Which products are you shopping for?|Modest fashion|Home & kitchen|Dates & hampers|Electronics",
            "Best time to contact you?|Morning|Afternoon|After iftar|Weekend",
        ),
    ),
    CampaignSpec(
        "11.11 Mega Sale",
        (
            GroupSpec("11.11 - Broad", "conversation", SEA, ("Flash deal countdown", "Free shipping banner")),
            GroupSpec("11.11 - Retargeting 30d", "lead", SEA, ("Top picks carousel",)),
        ),
        _form(
            "Mega Sale early access",
            "What are you interested in?|Smartphones|Beauty|Fashion|Home appliances",
            "Budget|Under $50|$50-200|$200-500|Over $500",
        ),
    ),
    CampaignSpec(
        "Home Loan Leads Q3",
        (
            GroupSpec("First-time buyers", "lead", ("SG", "MY", "AU", "JP"), ("Rate calculator",)),
            GroupSpec("Refinance", "conversation", ("SG", "AU", "GB", "US", "DE"), ("Customer testimonial video",)),
        ),
        _form(
            "Home loan enquiry",
            "Loan amount|Under 200k|200k-500k|500k-1M|Over 1M",
            "Employment status|Employed|Self-employed|Business owner",
            "When do you plan to buy?|Within 3 months|3-6 months|6-12 months|Just browsing",
        ),
    ),
    CampaignSpec(
        "EV Test Drive 2026",
        (
            GroupSpec(
                "Car intenders 25-54", "lead", ("SG", "TH", "AU", "BR", "MX"), ("Test drive weekend", "Range myths")
            ),
        ),
        _form(
            "Book a test drive",
            "Which model?|City compact|Family SUV|Delivery van",
            "Preferred day|Weekday|Saturday|Sunday",
        ),
    ),
    CampaignSpec(
        "Back to School 2026",
        (
            GroupSpec(
                "Parents 30-50",
                "conversation",
                ("ID", "MY", "SG", "TH", "VN", "PH", "JP", "AU", "BR", "MX", "AE", "SA", "NG", "DE", "GB", "US"),
                ("School bundle", "Study desk promo"),
            ),
        ),
        _form(
            "Back to school catalogue", "Number of children|1|2|3 or more", "Grade level|Primary|Secondary|University"
        ),
    ),
)
CLIENT_CAMPAIGNS = (
    CampaignSpec(
        "Raya Open House MY",
        (
            GroupSpec("Raya - Klang Valley", "lead", ("MY",), ("Open house invite",)),
            GroupSpec("Raya - Chat with us", "conversation", ("MY", "SG"), ("Chat now video",)),
        ),
        _form("Open house RSVP", "How many guests?|1|2|3-5|6 or more", "Preferred weekend|First|Second|Third"),
    ),
)


def create_ads(api: Any, account: str, campaigns: tuple[CampaignSpec, ...]) -> list[Ad]:
    """Forms, campaigns, ad groups and ads through the API; Lead-goal ads carry their campaign's form."""
    ads = []
    for campaign in campaigns:
        questions = [{"question": q, "type": kind} for q, kind in CONTACT_QUESTIONS]
        questions += [{"question": q, "type": "single_choice"} for q, _ in campaign.form.questions]
        form_id = api.create(f"/accounts/{account}/forms", {"name": campaign.form.name, "questions": questions,
                                                            "privacy_policy_url": PRIVACY_POLICY})  # fmt: skip
        campaign_id = api.create(f"/accounts/{account}/campaigns", {"name": campaign.name})
        for group in campaign.groups:
            body = {"campaign_id": campaign_id, "name": group.name, "optimization_goal": group.goal,
                    "targeting_countries": list(group.countries)}  # fmt: skip
            group_id = api.create(f"/accounts/{account}/adgroups", body)
            for ad_name in group.ads:
                ad_body: dict[str, Any] = {"adgroup_id": group_id, "name": ad_name}
                if group.goal == "lead":
                    ad_body["form_id"] = form_id
                ad_id = api.create(f"/accounts/{account}/ads", ad_body)
                ads.append(Ad(ad_id, ad_name, group_id, group.name, campaign_id, campaign.name, group.goal,
                              group.countries, form_id if group.goal == "lead" else None, campaign.form))  # fmt: skip
    return ads
