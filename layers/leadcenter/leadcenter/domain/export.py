"""The CSV of a lead export: columns, formula-injection neutralising, and streaming in bounded memory.

Two passes, because the header names every form question (the union over the exported leads, in first-seen
order) and is known only after the last lead: pass 1 spools one compact row per lead to a temporary file
(disk, not memory); pass 2 writes the CSV from it into parts of PART_BYTES for a multipart upload. Memory
holds one page of leads in pass 1 and one part in pass 2, whatever the export's size.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol

from leadcenter.model import Lead

PART_BYTES = 5 * 1024 * 1024  # S3's smallest part (but the last)
BOM = "\ufeff"  # Excel reads UTF-8 only with it

HEAD_COLUMNS = ("Lead ID", "Created", "Status", "Labels", "Assignee", "Name", "Email", "Phone", "Other contacts")
TAIL_COLUMNS = (
    "Ad ID",
    "Ad name",
    "Ad group ID",
    "Ad group name",
    "Campaign ID",
    "Campaign name",
    "Form ID",
    "Form name",
    "Source",
    "Expires",
)

# A spreadsheet evaluates a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefixes a quote to a cell a spreadsheet would run as a formula; shows as text, evaluates to nothing."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@dataclass(frozen=True)
class Row:
    head: list[str]
    answers: list[tuple[str, str]]
    tail: list[str]


def lead_row(lead: Lead) -> Row:
    contact, ad, form = lead.contact, lead.ad, lead.form
    head = [
        lead.id,
        lead.created_at,
        lead.status.value,
        ";".join(label.name for label in lead.labels),
        lead.assignee or "",
        contact.name or "",
        contact.email or "",
        contact.phone or "",
        ";".join(f"{other.kind}:{other.value}" for other in contact.others),
    ]
    tail = [
        ad.ad_id or "",
        ad.ad_name or "",
        ad.adgroup_id or "",
        ad.adgroup_name or "",
        ad.campaign_id or "",
        ad.campaign_name or "",
        form.form_id or "",
        form.form_name or "",
        lead.source.value,
        lead.expires_at,
    ]
    return Row(head, [(answer.question, answer.answer) for answer in form.answers], tail)


@dataclass
class Spool:
    """Pass 1: rows to a temporary file as JSON lines; the questions seen, in first-seen order."""

    file: IO[bytes]
    questions: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def add(self, lead: Lead) -> None:
        row = lead_row(lead)
        for question, _ in row.answers:
            self.questions.setdefault(question, len(self.questions))
        line = json.dumps([row.head, row.answers, row.tail], ensure_ascii=False, separators=(",", ":"))
        self.file.write(line.encode("utf-8") + b"\n")
        self.rows += 1

    def replay(self) -> Iterator[Row]:
        self.file.seek(0)
        for line in self.file:
            head, answers, tail = json.loads(line)
            yield Row(head, [(q, a) for q, a in answers], tail)


class PartSink(Protocol):
    def upload_part(self, data: bytes) -> None: ...


@dataclass
class CsvStats:
    rows: int
    bytes: int
    parts: int
    columns: int


def write_csv(spool: Spool, sink: PartSink, part_bytes: int = PART_BYTES) -> CsvStats:
    """Pass 2: the CSV (UTF-8 with BOM, CRLF, RFC 4180 quoting, every cell neutralised) in parts."""
    questions = list(spool.questions)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    buffer = bytearray(BOM.encode("utf-8"))
    stats = CsvStats(rows=0, bytes=0, parts=0, columns=len(HEAD_COLUMNS) + len(questions) + len(TAIL_COLUMNS))

    def emit(cells: list[str]) -> None:
        writer.writerow([neutralise(cell) for cell in cells])
        buffer.extend(text.getvalue().encode("utf-8"))
        text.seek(0)
        text.truncate()
        if len(buffer) >= part_bytes:
            flush()

    def flush() -> None:
        sink.upload_part(bytes(buffer))
        stats.bytes += len(buffer)
        stats.parts += 1
        buffer.clear()

    emit([*HEAD_COLUMNS, *questions, *TAIL_COLUMNS])
    position = {question: n for n, question in enumerate(questions)}
    for row in spool.replay():
        answers = [""] * len(questions)
        for question, answer in row.answers:
            slot = position[question]
            # A question asked twice on one form keeps both answers rather than dropping one.
            answers[slot] = f"{answers[slot]}; {answer}" if answers[slot] else answer
        emit([*row.head, *answers, *row.tail])
        stats.rows += 1
    if buffer or stats.parts == 0:
        flush()  # the last part may be small; an empty export is still one part (the header)
    return stats
