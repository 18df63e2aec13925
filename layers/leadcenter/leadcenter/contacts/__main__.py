"""``python -m leadcenter.contacts``: JSON lines in, one JSON line of contacts out per input line.

Input lines are ``{"text": "...", "region": "ID"}``. Every input line gets exactly one output line,
in order, flushed at once, so a caller can pipe messages through a long-running process; a line
that cannot be read gets ``{"contacts": [], "error": "..."}`` instead of stopping the stream.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any, TextIO

from .detector import ContactDetector


def answer(line: str, detector: ContactDetector) -> dict[str, Any]:
    """The output object for one input line."""
    if not line.strip():
        return {"contacts": [], "error": "empty line"}
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"contacts": [], "error": f"invalid JSON: {exc.msg}"}
    except RecursionError:
        return {"contacts": [], "error": "invalid JSON: nested too deeply"}
    if not isinstance(request, dict):
        return {"contacts": [], "error": "expected a JSON object"}
    text, region = request.get("text"), request.get("region")
    if not isinstance(text, str):
        return {"contacts": [], "error": "text must be a string"}
    try:
        # A missing or malformed region only costs numbers written without "+".
        contacts = detector.detect(text, region if isinstance(region, str) else None)
    except Exception as exc:  # one bad message must not end the stream
        return {"contacts": [], "error": f"detection failed: {type(exc).__name__}"}
    return {"contacts": [contact.as_dict() for contact in contacts]}


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    detector = ContactDetector()
    for line in stdin:
        stdout.write(json.dumps(answer(line, detector), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    # Messages are UTF-8 whatever the locale; a stray invalid byte must not end the stream.
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")
    sys.exit(main())
