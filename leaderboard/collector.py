"""The cyclic garbage collector paused while the worker scores a submission.

Scoring allocates hundreds of thousands of short-lived objects that hold no reference
cycles (the parsed JSON records, then the explorer's lists), and reference counting
frees every one of them. Each burst of allocations still triggers collections that
traverse every object alive, which costs about 40% of parsing a large results file.
The worker scores one submission at a time in its own process, so pausing the collector
there is safe; the engine itself never touches it, since the web process checks uploads
in several threads at once. No Django here: ``benchmarks.scoring_pipeline`` times the
worker's path through the same function.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside the block; the collector's state is restored after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
