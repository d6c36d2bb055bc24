"""The collector is paused where a process scores one file, and its state restored after."""

from __future__ import annotations

import gc
import sys

import pytest

from evaluator import __main__ as cli
from evaluator.collector import collector_paused
from tests.conftest import shared_file


def test_paused_inside_and_enabled_again_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.fixture
def collections_in_scoring():
    """The automatic collections that start while the command line reads and scores (``_main``
    on the stack), with the threshold at 1 so that one is due at every allocation."""
    seen: list[int] = []

    def record(phase: str, info: dict) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code is not cli._main.__code__:
            frame = frame.f_back
        if phase == "start" and frame is not None:
            seen.append(info["generation"])

    threshold = gc.get_threshold()
    gc.set_threshold(1)
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*threshold)


def test_command_line_reads_and_scores_with_the_collector_paused(collections_in_scoring, capsys):
    gt = shared_file("coco-val2014-100/instances_val2014_100.json")
    results = shared_file("coco-val2014-100/instances_val2014_fakebbox100_results.json")
    argv = ["--protocol", "coco", "--ground-truth", str(gt), "--results", str(results)]
    assert cli._main(argv) == 0
    assert collections_in_scoring  # the probe sees the collections of the unpaused path
    collections_in_scoring.clear()
    assert cli.main(argv) == 0
    assert collections_in_scoring == []
    assert "AP" in capsys.readouterr().out
    assert gc.isenabled()
