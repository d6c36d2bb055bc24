"""A participant's browser without the browser: sessions, CSRF and uploads over HTTP."""

from __future__ import annotations

import re

import requests

from tests.integration.stack import Stack, wait_for


class Participant:
    def __init__(self, stack: Stack, username: str) -> None:
        self.stack = stack
        self.http = requests.Session()
        self.username = username
        self._post_form(
            "/accounts/signup/", {"username": username, "password1": "Pw-0f-test-only", "password2": "Pw-0f-test-only"}
        )

    def _csrf(self, path: str) -> str:
        page = self.http.get(self.stack.url(path), timeout=30)
        page.raise_for_status()
        return self.http.cookies["csrftoken"]

    def _post_form(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        token = self._csrf(path)
        response = self.http.post(
            self.stack.url(path),
            data={**data, "csrfmiddlewaretoken": token},
            files=files,
            headers={"Referer": self.stack.url(path)},
            timeout=120,
        )
        response.raise_for_status()
        return response

    def submit(self, *, track_id: int, method: str, filename: str, content: bytes) -> requests.Response:
        return self._post_form(
            "/submit/",
            {"track": str(track_id), "method_name": method, "strategy": "as-is"},
            files={"file": (filename, content, "application/json")},
        )

    def submission_id(self, response: requests.Response) -> int:
        match = re.search(r"/submissions/(\d+)/$", response.url)
        assert match, f"upload was not accepted; landed on {response.url}"
        return int(match.group(1))

    def status(self, submission_id: int) -> dict:
        return self.http.get(self.stack.url(f"/submissions/{submission_id}/status/"), timeout=30).json()

    def wait_finished(self, submission_id: int, timeout: float = 120) -> dict:
        wait_for(lambda: self.status(submission_id)["finished"], timeout=timeout, what=f"submission {submission_id}")
        return self.status(submission_id)
