"""`SEED=demo make run`: the demo story played through the doors production traffic uses.

People reach the app as signed platform events on `POST /webhooks/messages` (ad touches, direct messages with
and without contacts, instant-form submissions, daily ad spend), which the real capture worker takes off the
real queue; marketers act through the API (labels, bulk status and assignment jobs, notes, leads typed in by
hand, mark-as-lead, an export, a transfer of the second ad account to the Business Center).

History: the seed winds the local app clock (`leadcenter.clock`, which only the local runner ever moves) back
to 89 days ago, then forward to each day that has something to do; each day's events are sent many at once
(the marketers' jobs on earlier leads meanwhile) and the queues drained before the clock moves on, so a lead's
created_at, expiry and timeline follow its day. When it is done the clock is where it was (the offset it had
before), and `GET /_local/seed` says `done`.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from leadcenter import clock, webhook_signature
from local.gateway import Gateway, Reply
from local.seed import bulk, plan
from local.seed.catalog import CLIENT_CAMPAIGNS, MAIN_CAMPAIGNS, PRIVACY_POLICY, Ad, create_ads
from local.seed.plan import ADMINS, DEMO_ADMIN, LABELS, Person
from local.sqs_source import CONSUMERS, DRAIN_WAITING

AD_ACCOUNT_MEMBERS = (("demo-admin-2", "admin"), ("demo-operator", "operator"), ("demo-analyst", "analyst"))
SENDERS = int(os.environ.get("SEED_SENDERS") or 8)  # requests in flight at once (the gateway serialises per function)
WEBHOOK = "/webhooks/messages"
JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": "leadcenter-seed"}
DRAINED_QUEUES = ("CAPTURE_QUEUE_URL", "JOBS_QUEUE_URL")
DRAIN_TIMEOUT_S = 600.0
DRAIN_POLL_S = 0.02
QUEUE_COUNTS: list[Any] = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
CURRENCY = {"main": "SGD", "client": "MYR"}
BULK_LEADS = 500
BULK_MIN = int(os.environ.get("SEED_BULK_MIN") or 12)  # smaller selections are edited lead by lead (PATCH)
SHOWCASE = 300  # the story's first people go through the pipelines; the rest are written in batches (seed/bulk.py)
TRACE = bool(os.environ.get("SEED_TRACE"))

STATUS: dict[str, Any] = {"state": "off"}  # what GET /_local/seed answers


def say(message: str) -> None:
    print(f"[seed] {message}", flush=True)


class Api:
    """The seed's API client: every call through the gateway as `user`, every refusal counted and shown."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.lock = threading.Lock()
        self.calls = 0
        self.failures: list[str] = []

    def call(self, method: str, path: str, user: str = DEMO_ADMIN, body: Any = None, query: str = "") -> Reply:
        payload = json.dumps(body) if body is not None else None
        reply = self.gateway.invoke(method, path, query=query, headers=dict(JSON_HEADERS), body=payload, subject=user)
        self._count(reply, f"{method} {path}", 200, 201, 202)
        return reply

    def _count(self, reply: Reply, what: str, *ok: int) -> None:
        with self.lock:
            self.calls += 1
            if reply.status not in ok:
                self.failures.append(f"{what}: {reply.status} {reply.body[:200]}")
                if len(self.failures) <= 5:
                    say(f"refused: {self.failures[-1]}")

    def create(self, path: str, body: Any, user: str = DEMO_ADMIN) -> str:
        reply = self.call("POST", path, user, body)
        if reply.status not in (200, 201):
            raise RuntimeError(f"POST {path}: {reply.status} {reply.body[:300]}")
        return str(reply.json()["id"])

    def webhook(self, event: dict[str, Any]) -> None:
        """Signs the event as the platform does (the app clock's now) and posts it; 202 expected."""
        raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
        signature = webhook_signature.sign(webhook_secret(), raw, int(clock.epoch()))
        headers = {**JSON_HEADERS, webhook_signature.HEADER: signature}
        # One request at a time in the webhook's container: the layer's Powertools router keeps the current event
        # on a module object that a second container of the same process would share.
        reply = self.gateway.invoke("POST", WEBHOOK, headers=headers, body=raw.decode("utf-8"))
        self._count(reply, f"webhook {event['type']}", 202)


def actor(action: str, value: str, start: int) -> str:
    """Who makes a change: an assignment by the other admin, so the assignee is notified (assigning oneself is
    not); anything else by either admin."""
    return ADMINS[value == ADMINS[0]] if action == "set_assignee" else ADMINS[start % 2]


def webhook_secret() -> str:
    return os.environ.get("WEBHOOK_SECRET") or "local-webhook-secret"


class Queues:
    """Waits until the capture and jobs queues hold nothing, not even a message being processed."""

    def __init__(self) -> None:
        import boto3

        self.sqs = boto3.client("sqs")
        self.urls = [os.environ[name] for name in DRAINED_QUEUES if os.environ.get(name)]

    def drain(self) -> None:
        """Asks the queues when the runner's pollers hint that they have emptied (`QueueConsumer.idle_since`, no
        AWS request), or every second. Meanwhile the pollers close a gathering batch once the queue is empty
        (DRAIN_WAITING) rather than wait out the batching window, so a day does not end with a second of waiting."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        consumers = [CONSUMERS[url] for url in self.urls if url in CONSUMERS]
        DRAIN_WAITING.set()
        try:
            mark = asked = time.monotonic()
            while time.monotonic() < deadline:
                time.sleep(DRAIN_POLL_S)
                if not all(c.idle_since(mark) for c in consumers) and time.monotonic() - asked < 1.0:
                    continue
                if not self.waiting():
                    return
                mark = asked = time.monotonic()
        finally:
            DRAIN_WAITING.clear()
        say(f"the queues did not drain within {DRAIN_TIMEOUT_S:.0f}s; going on")

    def waiting(self) -> int:
        """Messages in the queues, visible or being processed (one GetQueueAttributes per queue)."""
        counts = [self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=QUEUE_COUNTS)["Attributes"]
                  for url in self.urls]  # fmt: skip
        return sum(int(value) for attributes in counts for value in attributes.values())


# ---------------------------------------------------------------------------------------------- the days


class Demo:
    def __init__(self, gateway: Gateway, count: int) -> None:
        self.api = Api(gateway)
        self.count = count
        self.started = time.monotonic()
        self.start_epoch = clock.epoch()
        self.offset_before = clock.advance(0)
        self.queues = Queues()
        self.accounts: dict[str, str] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.ads: dict[str, list[Ad]] = {}
        self.lead_ids: dict[int, str] = {}
        self.leads = 0
        self.counting = threading.Lock()
        self.jobs: list[tuple[str, str]] = []
        self.pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="seed")
        self.marketers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-marketers")
        self.batch_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-batches")

    def moment(self, day: int) -> float:
        return self.start_epoch - day * 86400

    def go_to(self, day: int, seconds: float = 0) -> None:
        """The app clock to `day` days before the start (plus `seconds`): forward only, after the first wind-back."""
        clock.advance(self.moment(day) + seconds - clock.epoch())

    def parallel(self, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """`work` on every item by the senders at once; the results in the items' order."""
        return list(self.pool.map(work, items))

    # ------------------------------------------------------------------------------------------ set-up

    def set_up(self, first_day: int) -> None:
        self.go_to(first_day)
        api = self.api
        for key, name, country in (("main", "Demo Ad Account", "SG"), ("client", "Demo Client MY", "MY")):
            account = api.create("/accounts", {"name": name, "type": "ad_account", "country": country})
            self.accounts[key] = account
            for user, role in AD_ACCOUNT_MEMBERS:
                api.call("PUT", f"/accounts/{account}/members/{user}", body={"role": role})
            self.labels[key] = {label: api.create(f"/accounts/{account}/labels", {"name": label}) for label in LABELS}
            api.call("PUT", f"/accounts/{account}/auto-capture", body={"privacy_policy_url": PRIVACY_POLICY,
                                                                        "company_name": f"{name} Pte Ltd"})  # fmt: skip
        center = api.create("/accounts", {"name": "Demo Brand BC", "type": "business_center", "country": "SG"})
        self.accounts["center"] = center
        member = {"role": "operator", "lead_access": ["leads_center", "download"]}
        api.call("PUT", f"/accounts/{center}/members/demo-operator", body=member)
        self.go_to(first_day, seconds=600)  # the local review approves once its seconds have passed on this clock
        for key, campaigns in (("main", MAIN_CAMPAIGNS), ("client", CLIENT_CAMPAIGNS)):
            account = self.accounts[key]
            state = api.call("GET", f"/accounts/{account}/auto-capture").json()
            if state.get("status") != "approved":
                raise RuntimeError(f"auto-capture of {account} is {state.get('status')}, not approved")
            api.call("PATCH", f"/accounts/{account}/auto-capture", body={"enabled": True})
            self.ads[key] = create_ads(api, account, campaigns)

    # ------------------------------------------------------------------------------------------ one day

    def event(self, who: Person, account: str, day: int, part: dict[str, Any], number: int) -> dict[str, Any]:
        """One of the person's platform events, as the platform sends it; it occurred up to 3 h before the day's
        moment (a fixed spread per person and event, so the same N gives the same times of day)."""
        at = datetime.fromtimestamp(self.moment(day) - (who.index * 7919 + number * 104_729) % 10_800, tz=UTC)
        event: dict[str, Any] = {"event_id": f"demo-{account}-{who.index}-{number}", "account_id": account,
                                 "occurred_at": clock.iso(at), **part}  # fmt: skip
        event["user"] = {"id": who.user_id, "display_name": who.name, "region": who.market.country}
        if part["type"] == "message.received":
            event["conversation_id"] = who.conversation_id
            event["message"] = {**part["message"], "id": f"msg-{who.index}-{number}"}
        return event

    def day_events(self, day: int, persons: list[Person]) -> list[dict[str, Any]]:
        events = []
        for who in persons:
            for number, (when, part) in enumerate(who.events):
                if when == day:
                    events.append(self.event(who, self.accounts[who.account], day, part, number))
        if day < plan.HISTORY_DAYS:
            date = datetime.fromtimestamp(self.moment(day), tz=UTC).date().isoformat()
            for key, ads in self.ads.items():
                for index, ad in enumerate(ads):
                    amount = {"ad_id": ad.ad_id, "date": date, "amount": plan.spend(ad, index, day),
                              "currency": CURRENCY[key]}  # fmt: skip
                    event_id = f"demo-spend-{ad.ad_id}-{date}"
                    events.append({"event_id": event_id, "type": "ad.spend", "account_id": self.accounts[key],
                                   "occurred_at": clock.iso(), "spend": amount})  # fmt: skip
        return events

    def by_hand(self, day: int, persons: list[Person]) -> list[Person]:
        """Leads typed in by hand, and chats marked as leads, on this day (the two admins at once, as the events)."""
        chosen = [who for who in persons if who.day == day and who.kind in ("manual", "mark")]
        made = []
        for who, reply in zip(chosen, self.parallel(self.make_by_hand, chosen), strict=True):
            if reply.status in (200, 201):
                self.lead_ids[who.index] = str(reply.json()["id"])
                made.append(who)
        return made

    def make_by_hand(self, who: Person) -> Reply:
        account = self.accounts[who.account]
        user = ADMINS[who.index % 2]
        if who.kind == "manual":
            return self.api.call("POST", f"/accounts/{account}/leads", user, plan.manual_body(who))
        return self.api.call("POST", f"/accounts/{account}/conversations/{who.conversation_id}/mark-as-lead", user)

    def captured(self, since: str, persons: list[Person]) -> list[Person]:
        """The leads the capture worker made since `since`, recognised by their contacts."""
        waiting: dict[tuple[str, str], Person] = {}
        for who in persons:
            if who.kind in ("message", "form") and who.index not in self.lead_ids:
                for value in (who.email, who.phone):
                    if value:
                        waiting.setdefault((who.account, value.lower()), who)
        found = []
        for key, account in self.accounts.items():
            cursor = None
            while key != "center":
                window = {"created_from": since, "created_to": clock.iso()}  # not the batch-written leads of later days
                query = urlencode({**window, "limit": 100, **({"cursor": cursor} if cursor else {})})
                page = self.api.call("GET", f"/accounts/{account}/leads", query=query).json()
                for lead in page["items"]:
                    contact = lead.get("contact") or {}
                    values = [contact.get("email"), contact.get("phone")] + [
                        o["value"] for o in contact.get("others", [])
                    ]
                    for value in values:  # a WhatsApp number is among the others
                        match = waiting.pop((key, str(value).lower()), None) if value else None
                        if match is not None and match.index not in self.lead_ids:
                            self.lead_ids[match.index] = lead["id"]
                            found.append(match)
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        return found

    def act(self, pending: dict[int, list[tuple[str, Any]]], persons: dict[int, Person], weekly: bool = True) -> None:
        """Each lead's next marketer action: bulk jobs per (account, action, value) on the weekly review (and
        whenever a selection is large), the day's few changes one by one, notes one by one."""
        groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        notes = []
        for index in sorted(pending):
            action, value = pending[index].pop(0)
            if not pending[index]:
                del pending[index]
            who, lead_id = persons[index], self.lead_ids[index]
            if action == "note":
                notes.append((self.accounts[who.account], lead_id, ADMINS[index % 2], value))
            elif action != "wait":
                chosen = self.labels[who.account][value] if action == "add_labels" else value
                groups[(who.account, action, chosen)].append(lead_id)
        edits = []
        for (key, action, value), ids in sorted(groups.items()):
            account = self.accounts[key]
            if len(ids) < BULK_MIN and not weekly:  # a handful: edited one by one in the lead's panel
                edits += [(account, lead_id, action, value) for lead_id in ids]
                continue
            for start in range(0, len(ids), BULK_LEADS):
                body = {"action": action, "value": [value] if action == "add_labels" else value,
                        "lead_ids": ids[start : start + BULK_LEADS]}  # fmt: skip
                reply = self.api.call("POST", f"/accounts/{account}/leads/bulk", actor(action, value, start), body)
                if reply.status == 202:
                    self.jobs.append((account, str(reply.json()["job_id"])))
        self.parallel(self.edit, edits)
        self.parallel(lambda n: self.api.call("POST", f"/accounts/{n[0]}/leads/{n[1]}/notes", n[2], {"text": n[3]}),
                      notes)  # fmt: skip

    def edit(self, change: tuple[str, str, str, str]) -> None:
        account, lead_id, action, value = change
        field = {"set_status": "status", "set_assignee": "assignee"}.get(action)
        body = {field: value} if field else {"add_labels": [value]}
        self.api.call("PATCH", f"/accounts/{account}/leads/{lead_id}", actor(action, value, 0), body)

    # ------------------------------------------------------------------------------------------ the run

    def run(self) -> dict[str, Any]:
        first_day = max(plan.OLD_DAYS) + 3  # the oldest chat's ad touch is two days before its lead
        self.set_up(first_day)
        persons = plan.people(self.count, self.ads)
        rest = [who for who in persons if who.index >= SHOWCASE and who.kind != "chat"]
        batched = None
        if rest:
            say(f"writing {len(rest)} leads through the store in batches (the first {SHOWCASE}: the pipelines)")
            # Meanwhile the showcase plays: both are bound by moto's CPU, and either alone leaves a core idle at
            # times. The batch part names its own times (it never reads the clock the showcase moves).
            batched = self.batch_writer.submit(self.batches, rest)
            chats = [who for who in persons if who.kind == "chat"][: round(SHOWCASE * plan.CHATS_PER_LEAD)]
            persons = [who for who in persons if who.index < SHOWCASE] + chats  # and the showcase's share of chats
        by_index = {who.index: who for who in persons}
        days = {day for who in persons for day, _ in who.events} | {who.day for who in persons}
        pending: dict[int, list[tuple[str, Any]]] = {}
        for day in sorted(days | set(range(plan.HISTORY_DAYS)), reverse=True):
            self.go_to(day)
            since = clock.iso()
            today = [who for who in persons if who.day == day or any(d == day for d, _ in who.events)]
            t = [time.monotonic()]
            # The marketers work on earlier days' leads while the day's people write (the API and the webhook
            # are different functions, so neither waits for the other); a lead someone writes about again that
            # day has a ("wait", None) step there instead of a change.
            acting = self.marketers.submit(self.act, pending, by_index, day % 7 == 0)
            made = self.by_hand(day, today)
            events = self.day_events(day, today)
            self.parallel(self.api.webhook, events)
            t.append(time.monotonic())
            DRAIN_WAITING.set()  # nothing more comes today but the marketers' jobs: close the capture batch now
            acting.result()
            t.append(time.monotonic())
            self.queues.drain()
            t.append(time.monotonic())
            made += self.captured(since, [who for who in today if who.day == day])
            t.append(time.monotonic())
            if TRACE:
                say(f"day {day}: {len(events)} events; " + " ".join(f"{b - a:.2f}" for a, b in itertools.pairwise(t)))
            pending.update({who.index: steps for who in made if (steps := plan.actions(who))})
            self.progress(len(made), day)
        while pending:  # what the last days' leads still have coming
            self.queues.drain()
            self.act(pending, by_index)
        if batched is not None:
            batched.result()  # the export of qualified leads takes the batch-written ones too
        self.finish()
        return self.summary()

    def batches(self, rest: list[Person]) -> None:
        began = time.monotonic()
        written = bulk.write(rest, self.accounts, self.labels, self.start_epoch, lambda n: self.progress(n, None))
        say(f"{written} leads written in batches in {time.monotonic() - began:.1f}s")

    def progress(self, made: int, day: int | None) -> None:
        """`day` None: leads written in batches (seed/bulk.py), from their own thread."""
        with self.counting:
            before, self.leads = self.leads, self.leads + made
            after = STATUS["leads"] = self.leads
        step = max(1, self.count // 10)
        if after // step != before // step or day == 0:
            where = "written in batches" if day is None else f"day -{day}"
            say(f"{self.leads}/{self.count} leads, {where} ({time.monotonic() - self.started:.1f}s)")

    def finish(self) -> None:
        """An export of the qualified leads, the second ad account's transfer, and every job checked."""
        api, main = self.api, self.accounts["main"]
        reply = api.call("POST", f"/accounts/{main}/exports", body={"filter": {"status": "qualified"}})
        if reply.status == 202:
            self.jobs.append((main, str(reply.json()["job_id"])))
        self.queues.drain()
        states = self.parallel(lambda pair: api.call("GET", f"/accounts/{pair[0]}/jobs/{pair[1]}").json().get("state"),
                               self.jobs)  # fmt: skip
        for (account, job), state in zip(self.jobs, states, strict=True):
            if state != "succeeded":
                api.failures.append(f"job {job} of {account}: {state}")
        transfer = {"business_center_id": self.accounts["center"], "confirm": True}
        api.call("POST", f"/accounts/{self.accounts['client']}/lead-access/transfer", body=transfer)

    def summary(self) -> dict[str, Any]:
        return {
            "ad_account": self.accounts["main"],
            "second_ad_account": self.accounts["client"],
            "business_center": self.accounts["center"],
            "leads": self.leads,
            "requests": self.api.calls,
            "failed_requests": len(self.api.failures),
            "jobs": len(self.jobs),
            "seconds": round(time.monotonic() - self.started, 1),
        }


def seed(gateway: Gateway, count: int) -> dict[str, Any]:
    """Plays the demo with `count` leads; the app clock ends where it began. `GET /_local/seed` follows it."""
    say(f"seeding {count} demo leads through the webhook and the API (the server keeps answering meanwhile)")
    STATUS.clear()
    STATUS.update(state="running", leads=0, total=count)
    demo = Demo(gateway, count)
    try:
        summary = demo.run()
    except Exception:
        STATUS["state"] = "failed"
        raise
    finally:
        clock.advance(demo.offset_before - clock.advance(0))  # back to the clock as it was
        demo.pool.shutdown(wait=False)
        demo.marketers.shutdown(wait=False)
        demo.batch_writer.shutdown(wait=False)
    STATUS.update(state="done", summary=summary, failures=demo.api.failures[:20])
    say(f"done in {summary['seconds']}s: {json.dumps(summary)}")
    say('sign in as the demo admin: POST /_local/token {"sub": "demo-admin"} (README: the demo users)')
    return summary
