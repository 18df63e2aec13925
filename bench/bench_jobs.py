"""Bulk changes and exports as background jobs (issue 6), on moto, the worker driven in-process from the queue.

bulk_write_requests_per_lead: DynamoDB write requests (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
TransactWriteItems; counted at botocore) per lead for a 10,000-lead status change: the whole job (selection,
start, chunk writes, progress counters). Peer: read-modify-write of each lead item (GetItem + PutItem) on the
same leads, same run.
bulk_10k_seconds: wall time of that job, from the API's call to the job's last counter; peer as above.
export_peak_rss_mb: peak RSS of a separate process that runs the export step exactly as the worker Lambda does
(receive the start message, resolve the filter, spool, stream the CSV in 5 MiB parts to S3) against this
process's moto over HTTP, so the emulator's own memory is not counted.
export_leads_per_second: leads / (that export step + marking the leads accessed in chunks).
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.harness import counting, metric, moto_stack

BULK_LEADS = int(os.environ.get("BENCH_BULK_LEADS", "10000"))  # smaller only for a quick try
# 50,000 leads take about 6 minutes to seed in moto (one transaction each through the lead store) and 10 more
# to export (moto's response serialiser costs ~10 ms per full lead item), so the export runs on the bulk job's
# 10,000 leads by default; BENCH_EXPORT_LEADS=50000 seeds the rest and runs the full size.
EXPORT_LEADS = max(BULK_LEADS, int(os.environ.get("BENCH_EXPORT_LEADS", str(BULK_LEADS))))
SMALL_EXPORT = 1_000  # the RSS of a small export, for comparison: bounded memory means no growth with size
OWNER = "bench-jobs-admin"
ACCOUNT = "bench-jobs"
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ("Preferred model?", "Budget", "When can we call you?", "Trade-in?")


def _seed(account_id: str, count: int, rng: random.Random, start: int = 0) -> list[str]:
    """Realistic leads (contacts, answers, attribution) written through the lead store, one transaction each."""
    from leadcenter import clock, ids
    from leadcenter.domain.leads import new_lead_id
    from leadcenter.model import Attribution, Contact, FormAnswer, FormData, Lead, LeadSource, OtherContact
    from leadcenter.store import leads as store
    from leadcenter.store.lead_items import LeadState, TimelineEvent

    region = "ap-southeast-1"
    now = clock.now()
    lead_ids = []
    for n in range(start, start + count):
        created = now - timedelta(seconds=rng.uniform(0, 80 * 86400))
        stamp = clock.iso(created)
        answers = [FormAnswer(question=q, answer=f"answer {n % 7}") for q in QUESTIONS if rng.random() < 0.6]
        lead = Lead(
            id=new_lead_id(region, created),
            account_id=account_id,
            region="SG",
            source=LeadSource.FORM,
            contact=Contact(
                name=f"Person {n} Tan",
                email=f"person{n}@example.com",
                phone=f"+6591{n % 1_000_000:06d}",
                others=[OtherContact(kind="line", value=f"person{n}")] if n % 5 == 0 else [],
            ),
            ad=Attribution(ad_id=f"ad-{n % 12}", ad_name=f"Creative {n % 12}", adgroup_id=f"ag-{n % 4}",
                           adgroup_name=f"Audience {n % 4}", campaign_id="cmp-1", campaign_name="Mega Payday"),
            form=FormData(form_id="form-1", form_name="Test drive", answers=answers),
            created_at=stamp,
            updated_at=stamp,
            expires_at="",
            storage_region=region,
        )  # fmt: skip
        state = LeadState(lead, set(), int((created + timedelta(days=90)).timestamp()))
        store.create(state, (), TimelineEvent(ids.ulid(created), "created", "bench", stamp, {}))
        lead_ids.append(lead.id)
    return lead_ids


def _context() -> Any:
    """The local runner's stand-in for Lambda's context object."""
    from local.gateway import LambdaContext

    return LambdaContext(function_name="JobsWorkerFunction")


def _drain() -> int:
    """The SQS event source in-process: receive from the jobs queue, run the worker, delete what succeeded."""
    import boto3

    from functions.jobs_worker import app as worker
    from leadcenter.config import settings
    from local.sqs_source import sqs_event

    sqs = boto3.client("sqs", region_name=settings().home_region)
    url = settings().jobs_queue_url
    invocations = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300,
                                       MessageAttributeNames=["All"],
                                       MessageSystemAttributeNames=["All"]).get("Messages", [])  # fmt: skip
        if not messages:
            return invocations
        event = sqs_event(messages, queue_url=url, region=settings().home_region)
        result = worker.lambda_handler(event, _context())
        invocations += 1
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _peer(account_id: str, lead_ids: list[str]) -> None:
    """Read-modify-write of each lead item: GetItem, change, PutItem."""
    from leadcenter import clock
    from leadcenter.store import lead_items as store

    item_cls = store.models("ap-southeast-1").lead
    for lead_id in lead_ids:
        item = item_cls.get(store.lead_pk(account_id), store.lead_sk(lead_id), consistent_read=True)
        now = clock.iso()
        item.status = "contacted"
        item.g_status = store.dimension_key(account_id, "status", "contacted")
        item.version = int(item.version) + 1
        item.updated_at = now
        item.upd_sk = f"{now}#{lead_id}"
        item.save()


def _export_in_child(account_id: str, leads: int) -> dict[str, Any]:
    """Queues an export and runs its start message in a fresh process, talking to this moto over HTTP."""
    from moto.server import ThreadedMotoServer

    from leadcenter.domain import jobs as domain
    from leadcenter.domain.leads import LeadFilter
    from leadcenter.policy import Action, authorize

    job = domain.create_export_job(authorize(OWNER, account_id, Action.LEADS_DOWNLOAD), LeadFilter())
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "PYTHONPATH": f"{ROOT / 'layers' / 'leadcenter'}{os.pathsep}{ROOT}",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        child = subprocess.run(
            [sys.executable, "-m", "bench.bench_jobs", "export-step"],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=ROOT,
        )
    finally:
        server.stop()
    if child.returncode != 0:
        raise RuntimeError(f"export step failed: {child.stderr[-2000:]}")
    step = json.loads(child.stdout.strip().splitlines()[-1])
    started = time.perf_counter()
    _drain()  # the chunks that mark the exported leads accessed
    step["mark_seconds"] = time.perf_counter() - started
    final = domain.job_store.get(account_id, job.id)
    assert final is not None and final.state == "succeeded" and final.total == leads, final
    return step


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not getrusage: ru_maxrss survives exec, so a child started from this big
    benchmark process would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export_step() -> None:
    """In the child: one Lambda invocation of the worker on the queued start message, measured."""
    import boto3

    from functions.jobs_worker import app as worker
    from leadcenter.config import settings
    from local.sqs_source import sqs_event

    sqs = boto3.client("sqs", region_name=settings().home_region)
    url = settings().jobs_queue_url
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=900,
                                   MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])  # fmt: skip
    [message] = received["Messages"]
    assert json.loads(message["Body"])["kind"] == "start"
    baseline = _peak_rss_mb()
    event = sqs_event([message], queue_url=url, region=settings().home_region)
    started = time.perf_counter()
    result = worker.lambda_handler(event, _context())
    seconds = time.perf_counter() - started
    assert not result.get("batchItemFailures"), result
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    print(json.dumps({"seconds": seconds, "baseline_mb": baseline, "peak_mb": _peak_rss_mb()}))


def run() -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    with moto_stack():
        from leadcenter import clock
        from leadcenter.domain import jobs as domain
        from leadcenter.model import LeadStatus
        from leadcenter.policy import Action, authorize
        from leadcenter.store import accounts, jobs
        from leadcenter.store.accounts import Account, Member

        now = clock.iso()
        accounts.create_account(
            Account(ACCOUNT, "Bench", "ad_account", "SG", now), Member(ACCOUNT, OWNER, "admin", (), now)
        )
        rng = random.Random(6)
        seeded = time.perf_counter()
        lead_ids = _seed(ACCOUNT, BULK_LEADS, rng)
        accounts.add_lead_region(ACCOUNT, "ap-southeast-1")
        print(f"bench_jobs: seeded {BULK_LEADS} leads in {time.perf_counter() - seeded:.0f}s", file=sys.stderr)

        # Ours: the job as the API queues it, drained by the worker in-process.
        access = authorize(OWNER, ACCOUNT, Action.LEADS_MANAGE)
        with counting() as counter:
            wall, cpu = time.perf_counter(), time.process_time()
            job = domain.create_bulk_job(
                access, domain.SetStatus(LeadStatus.QUALIFIED), lead_ids=lead_ids, lead_filter=None
            )
            _drain()
            ours_wall, ours_cpu = time.perf_counter() - wall, time.process_time() - cpu
            ours_writes = counter.count("dynamodb", WRITES)
            transactions = counter.count("dynamodb", ("TransactWriteItems",))
        done = jobs.get(ACCOUNT, job.id)
        assert done is not None and (done.state, done.done) == ("succeeded", BULK_LEADS), done

        # Peer: read-modify-write of every lead, same leads.
        with counting() as counter:
            wall, cpu = time.perf_counter(), time.process_time()
            _peer(ACCOUNT, lead_ids)
            peer_wall, peer_cpu = time.perf_counter() - wall, time.process_time() - cpu
            peer_writes = counter.count("dynamodb", WRITES)
        print(f"bench_jobs: bulk {ours_wall:.1f}s, peer {peer_wall:.1f}s", file=sys.stderr)

        metrics["bulk_write_requests_per_lead"] = metric(
            ours_writes / BULK_LEADS,
            "write requests / lead",
            peer_writes / BULK_LEADS,
            f"{BULK_LEADS:,}-lead status change, whole job: {ours_writes} write requests ({transactions} "
            f"TransactWriteItems) - each lead's version-checked update and its timeline event travel with up to 49 "
            "other leads' in one transaction, plus per chunk of 100 one counter transaction, plus the selection "
            "and chunk items; GSI entries are not requests. Goal <= 1.05. Peer: GetItem + PutItem per lead, same "
            "run (its reads are not counted here)",
        )
        metrics["bulk_10k_seconds"] = metric(
            ours_wall,
            "s",
            peer_wall,
            f"wall time on moto in-process, ratio {ours_wall / peer_wall:.2f} (goal <= 0.5); CPU time (steadier on "
            f"a shared machine) {ours_cpu:.1f}s vs {peer_cpu:.1f}s, ratio {ours_cpu / peer_cpu:.2f}. moto's cost is "
            "per item written (update-expression parsing, stream records), not per request: one transaction per "
            "lead measured ~1.0x the peer, ~50 leads per transaction brings it to this; includes the job's start "
            "(reading the 10,000 versions) and its counters",
        )

        # Export: a small one, then the large one, each in its own process.
        small_rss = _small_export(rng)
        if EXPORT_LEADS > BULK_LEADS:
            _seed(ACCOUNT, EXPORT_LEADS - BULK_LEADS, rng, start=BULK_LEADS)
        step = _export_in_child(ACCOUNT, EXPORT_LEADS)
        total_seconds = step["seconds"] + step["mark_seconds"]
        metrics["export_peak_rss_mb"] = metric(
            step["peak_mb"],
            "MB",
            None,
            f"peak RSS of the worker process exporting {EXPORT_LEADS:,} leads (CSV streamed in 5 MiB parts); "
            f"{step['baseline_mb']:.0f} MB of it is the interpreter and libraries before the job; "
            f"{small_rss:.0f} MB for {SMALL_EXPORT:,} leads (no growth with size = bounded). Goal <= 150 MB for "
            f"50,000 leads; run at {EXPORT_LEADS:,} to keep the bench near 10 minutes (BENCH_EXPORT_LEADS=50000 "
            "for the full size)",
        )
        metrics["export_leads_per_second"] = metric(
            EXPORT_LEADS / total_seconds,
            "leads/s",
            None,
            f"{EXPORT_LEADS:,} leads: export step {step['seconds']:.1f}s in its own process against moto over HTTP "
            f"(read, decrypt, spool, CSV, multipart upload) + {step['mark_seconds']:.1f}s marking them accessed "
            "with an 'exported' timeline entry (chunks of 100, in-process)",
        )
    return metrics


def _small_export(rng: random.Random) -> float:
    """The peak RSS of exporting another account's few leads, in the same kind of process."""
    from leadcenter import clock
    from leadcenter.store import accounts
    from leadcenter.store.accounts import Account, Member

    account_id = f"{ACCOUNT}-small"
    now = clock.iso()
    accounts.create_account(
        Account(account_id, "Bench", "ad_account", "SG", now), Member(account_id, OWNER, "admin", (), now)
    )
    _seed(account_id, SMALL_EXPORT, rng)
    accounts.add_lead_region(account_id, "ap-southeast-1")
    return float(_export_in_child(account_id, SMALL_EXPORT)["peak_mb"])


if __name__ == "__main__":
    if sys.argv[1:] == ["export-step"]:
        _export_step()
    else:
        print(json.dumps(run(), indent=2))
