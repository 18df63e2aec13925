"""The lead-ads report: leads, conversations, conversions and spend per ad, ad group or campaign for a date range.

Read, never recomputed: per ad account one GetItem of the catalog (names, ad groups' goals, ads' ad groups, the
currency) and one Query of the level's counters between the two days (store/reports.py), whatever the number of
leads. Rows are the groups with any lead, conversation or spend in the range, most leads first (then name, id);
a page is a slice of them, so every page costs the same two requests. Costs are spend / count rounded half-up to
the cent, null where the count is 0. The daily series sums the level's counters per day, every day of the range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from leadcenter import clock
from leadcenter.cursors import Cursors
from leadcenter.domain import leads as lead_domain
from leadcenter.domain import money
from leadcenter.errors import Unprocessable
from leadcenter.policy import Access
from leadcenter.store import catalog as catalog_store
from leadcenter.store import reports as store

DEFAULT_DAYS = 90
MAX_DAYS = 366


@dataclass
class Totals:
    leads: int = 0
    conversations: int = 0
    conversions: int = 0
    spend_minor: int = 0
    currencies: set[str] = field(default_factory=set)

    def add(self, counter: store.Counter, currency: str | None) -> None:
        self.leads += counter.leads
        self.conversations += counter.conversations
        self.conversions += counter.conversions
        self.spend_minor += counter.spend
        if currency and counter.spend:
            self.currencies.add(currency)

    @property
    def active(self) -> bool:
        return bool(self.leads or self.conversations or self.spend_minor)

    @property
    def currency(self) -> str | None:
        return next(iter(self.currencies)) if len(self.currencies) == 1 else None

    @property
    def spend(self) -> str | None:
        # Amounts in two currencies (a Business Center's ad accounts) do not add up.
        return money.to_text(self.spend_minor) if len(self.currencies) <= 1 else None

    @property
    def cost_per_lead(self) -> str | None:
        return money.cost(self.spend_minor, self.leads) if len(self.currencies) <= 1 else None

    @property
    def cost_per_conversion(self) -> str | None:
        return money.cost(self.spend_minor, self.conversions) if len(self.currencies) <= 1 else None


@dataclass
class Row(Totals):
    id: str = ""
    name: str | None = None
    optimization_goal: str | None = None
    account_currency: str | None = None

    @property
    def currency(self) -> str | None:
        return super().currency or self.account_currency


@dataclass
class Day(Totals):
    date: str = ""


@dataclass
class Report:
    group_by: str
    date_from: str
    date_to: str
    rows: list[Row]
    totals: Totals
    series: list[Day]
    next_cursor: str | None


def _range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    to = date_to or clock.now().date()
    start = date_from or to - timedelta(days=DEFAULT_DAYS - 1)
    if start > to:
        raise Unprocessable("from is after to", field="from")
    if (to - start).days + 1 > MAX_DAYS:
        raise Unprocessable(f"a report covers at most {MAX_DAYS} days", field="from")
    return start, to


def lead_report(
    access: Access,
    group_by: str,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> Report:
    start, end = _range(date_from, date_to)
    day_from, day_to = start.isoformat(), end.isoformat()
    cursors = Cursors("report", access.account_id, f"{group_by}:{day_from}:{day_to}")
    after = cursors.after(cursor)
    offset = int(after) if after is not None and after.isdigit() else 0
    rows: dict[str, Row] = {}
    days = {(start + timedelta(days=n)).isoformat(): Day(date=(start + timedelta(days=n)).isoformat())
            for n in range((end - start).days + 1)}  # fmt: skip
    totals = Totals()
    for account_id in lead_domain.lead_accounts(access):
        directory = catalog_store.directory(account_id)
        for counter in store.read(account_id, group_by, day_from, day_to):
            row = rows.get(counter.entity_id)
            if row is None:
                row = rows[counter.entity_id] = _row(counter.entity_id, group_by, directory)
            row.add(counter, directory.currency)
            totals.add(counter, directory.currency)
            if counter.day in days:
                days[counter.day].add(counter, directory.currency)
    ordered = sorted(
        (row for row in rows.values() if row.active), key=lambda r: (-r.leads, (r.name or "").casefold(), r.id)
    )
    page = ordered[offset : offset + limit]
    more = offset + limit < len(ordered)
    next_cursor = cursors.issue(str(offset + limit)) if more else None
    return Report(group_by, day_from, day_to, page, totals, list(days.values()), next_cursor)


def _row(entity_id: str, group_by: str, directory: catalog_store.Directory) -> Row:
    goal = None
    if group_by == "adgroup":
        goal = directory.goals.get(entity_id)
    elif group_by == "ad":
        goal = directory.goals.get(directory.adgroup_of.get(entity_id, ""))
    return Row(
        id=entity_id,
        name=directory.names.get(group_by, {}).get(entity_id),
        optimization_goal=goal,
        account_currency=directory.currency,
    )
