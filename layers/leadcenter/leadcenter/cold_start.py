"""A handler module's imports without CPython's cyclic garbage collector (issue 18, cold start).

INIT allocates ~80,000 objects (modules, classes, pydantic and pynamodb models, botocore's service model) that
live as long as the container. While they pile up the collector runs full collections over all of them again and
again (~17 ms of the capture worker's INIT, bench cold_init_ms_*) and finds almost nothing to free (~900 objects
in cycles). `collector_paused()` turns it off for the imports, then freezes what they built (`gc.freeze`: later
collections no longer walk it, so the cost does not come back in the first request) and turns it back on.
Trade-off: the few cycles INIT left behind are never freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
