"""The collector is paused while the worker scores, and its state restored after."""

from __future__ import annotations

import gc

import pytest

from leaderboard.collector import collector_paused


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
