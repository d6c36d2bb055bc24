"""Shared test helpers: where the real data of ../shared/data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.demo_data import DemoSnapshots

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """Path of a file under ../shared/data; skips the test when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real test data {relative} not found under {SHARED_DATA} (set SHARED_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def demo_snapshots(tmp_path_factory) -> DemoSnapshots:
    """Demo data built once per session; see tests/demo_data.py."""
    return DemoSnapshots(tmp_path_factory.mktemp("demo-snapshots"))


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """In this process only (live sites keep the real hasher): PBKDF2's million rounds cost a quarter
    of a second of CPU for every participant a test makes and every sign-in it tries."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_leaderboard_memo():
    """Each test's database starts again from the same ids and versions: forget the boards of the last one."""
    from leaderboard import memo

    memo.clear()
    yield
    memo.clear()


LIVE_MARKERS = ("integration", "e2e", "slow")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The live-stack and browser tests first: in two test processes they mostly wait on servers,
    workers and browsers while the other process runs the quick tests, instead of forming the tail."""
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LIVE_MARKERS))
