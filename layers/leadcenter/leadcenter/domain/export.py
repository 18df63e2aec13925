"""The CSV of a lead export: columns, formula-injection neutralising, and encoding in bounded memory.

Two passes, because the header names every form question (the union over the exported leads, in first-seen
order) and is known only after the last lead: pass 1 turns each lead into one compact JSON line (`spool_line`,
spooled page by page to S3 by `domain.export_job`); pass 2 encodes the CSV from those lines (`CsvEncoder`) into
parts of PART_BYTES for a multipart upload. Memory holds one page of leads in pass 1 and one part (and a spooled
page per storage region) in pass 2, whatever the export's size. `Spool` and `write_csv` run both passes over a
local file, in one process.
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


def order_key(lead: Lead, by_update: bool) -> str:
    """Where a lead's row goes in the file, as the list orders leads: by id descending (newest first; an id starts
    with its creation time), or with `updated_since` by change time ascending."""
    return f"{lead.updated_at}#{lead.id}" if by_update else lead.id


def spool_line(lead: Lead, key: str = "") -> tuple[bytes, list[str]]:
    """Pass 1: one compact JSON line for a lead (with its order key), and the questions it answered (in its own
    order)."""
    row = lead_row(lead)
    line = json.dumps([key, row.head, row.answers, row.tail], ensure_ascii=False, separators=(",", ":"))
    return line.encode("utf-8") + b"\n", [question for question, _ in row.answers]


def read_line(line: bytes) -> tuple[str, Row]:
    key, head, answers, tail = json.loads(line)
    return key, Row(head, [(q, a) for q, a in answers], tail)


class CsvEncoder:
    """Pass 2: CSV bytes (UTF-8, CRLF, RFC 4180 quoting, every cell neutralised) for a known question set."""

    def __init__(self, questions: list[str]) -> None:
        self.questions = questions
        self.columns = len(HEAD_COLUMNS) + len(questions) + len(TAIL_COLUMNS)
        self._position = {question: n for n, question in enumerate(questions)}
        self._text = io.StringIO()
        self._writer = csv.writer(self._text, lineterminator="\r\n")

    def _encode(self, cells: list[str]) -> bytes:
        self._writer.writerow([neutralise(cell) for cell in cells])
        data = self._text.getvalue().encode("utf-8")
        self._text.seek(0)
        self._text.truncate()
        return data

    def header(self) -> bytes:
        """The file's start: the BOM (Excel reads UTF-8 only with it) and the header row."""
        return BOM.encode("utf-8") + self._encode([*HEAD_COLUMNS, *self.questions, *TAIL_COLUMNS])

    def row(self, row: Row) -> bytes:
        answers = [""] * len(self.questions)
        for question, answer in row.answers:
            slot = self._position[question]
            # A question asked twice on one form keeps both answers rather than dropping one.
            answers[slot] = f"{answers[slot]}; {answer}" if answers[slot] else answer
        return self._encode([*row.head, *answers, *row.tail])


@dataclass
class Spool:
    """Both passes in one process, over a local file (tests, benchmarks): rows as JSON lines; the questions
    seen, in first-seen order."""

    file: IO[bytes]
    questions: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def add(self, lead: Lead) -> None:
        line, questions = spool_line(lead)
        for question in questions:
            self.questions.setdefault(question, len(self.questions))
        self.file.write(line)
        self.rows += 1

    def replay(self) -> Iterator[Row]:
        self.file.seek(0)
        for line in self.file:
            yield read_line(line)[1]


class PartSink(Protocol):
    def upload_part(self, data: bytes) -> None: ...


@dataclass
class CsvStats:
    rows: int
    bytes: int
    parts: int
    columns: int


def write_csv(spool: Spool, sink: PartSink, part_bytes: int = PART_BYTES) -> CsvStats:
    """Pass 2 in one go: the CSV in parts of at least `part_bytes` (but the last)."""
    encoder = CsvEncoder(list(spool.questions))
    buffer = bytearray(encoder.header())
    stats = CsvStats(rows=0, bytes=0, parts=0, columns=encoder.columns)

    def flush() -> None:
        sink.upload_part(bytes(buffer))
        stats.bytes += len(buffer)
        stats.parts += 1
        buffer.clear()

    for row in spool.replay():
        buffer.extend(encoder.row(row))
        stats.rows += 1
        if len(buffer) >= part_bytes:
            flush()
    if buffer or stats.parts == 0:
        flush()  # the last part may be small; an empty export is still one part (the header)
    return stats
