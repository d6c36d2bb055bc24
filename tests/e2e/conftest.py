"""The browser the e2e tests drive: Debian's chromium through Playwright, one per test module.

Each test module brings its own ``stack`` (tests/integration/stack.py ``deployed``); ``page`` opens
a fresh browser context on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# A module's, not the session's: Playwright's event loop runs while the browser is open, and Django
# refuses database access from a thread with a running loop, which would fail the database tests a
# test process runs after the browser's.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: no chromium at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(base_url=stack.base_url, accept_downloads=True)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()
