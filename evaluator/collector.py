"""The cyclic garbage collector paused while a single-threaded process scores a file.

Scoring allocates hundreds of thousands of short-lived objects that hold no reference
cycles (the parsed JSON records, then the explorer's lists), and reference counting
frees every one of them. Each burst of allocations still triggers collections that
traverse every object alive, which costs 40-60% of parsing a large results file.

The collector is process-wide state, so only code that owns its process pauses it:
the command line (``python -m evaluator``) and the worker (``leaderboard.scoring``),
each scoring one file at a time. The engine's library functions never touch it, since
the web process checks uploads in several threads at once.
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
