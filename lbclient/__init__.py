"""Command-line client of the leaderboard's REST API: submit results, poll their scoring, read leaderboards.

It speaks only the public HTTP API (/api/v1/) through ``requests`` and never imports the site,
so a training script can use it from any machine::

    python -m lbclient --url https://leaderboard.example.org --token TOKEN \\
        submit --track demo-coco-detection --method "My detector" results.json --wait

The token is on your profile page; ``LEADERBOARD_TOKEN`` and ``LEADERBOARD_URL`` may stand
for the two options.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

import requests

__all__ = ["ApiError", "Client", "main"]

DEFAULT_URL = "http://127.0.0.1:8000"
FINISHED = frozenset({"scored", "failed", "cancelled"})
MISSING = "-"

# Exit codes: 0 done (scored), 1 refused, failed or unreachable, 2 wrong usage, 3 still not finished.
EXIT_ERROR, EXIT_USAGE, EXIT_TIMEOUT = 1, 2, 3


class ApiError(Exception):
    """The server refused a request; ``detail`` is its message, ``errors`` the messages per field."""

    def __init__(self, status: int, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or {}


class Client:
    """The API's calls that a participant's script needs."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float = 120,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = url.rstrip("/")
        self.token = token
        self.http = session or requests.Session()
        self.timeout = timeout
        self.sleep = sleep
        self.http.headers["Accept"] = "application/json"
        if token:
            self.http.headers["Authorization"] = f"Token {token}"

    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base}/api/v1/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, retries: int = 5, **kwargs: Any) -> Any:
        """One call; waits as told when throttled (429), raises ApiError on any other refusal."""
        response = self.response(method, path, retries=retries, **kwargs)
        return response.json() if response.content else None

    def response(self, method: str, path: str, *, retries: int = 5, **kwargs: Any) -> requests.Response:
        """``request``'s answer before it is read as JSON."""
        for attempt in range(retries + 1):
            response = self.http.request(method, self._url(path), timeout=self.timeout, **kwargs)
            if response.status_code == 429 and attempt < retries and method == "GET":
                self.sleep(_retry_after(response))
                continue
            break
        if response.status_code >= 400:
            raise _error(response)
        return response

    def submit(self, *, track: str, method_name: str, path: str | Path, **fields: Any) -> dict:
        data = {"track": track, "method_name": method_name}
        data.update({name: _form_value(value) for name, value in fields.items() if value is not None})
        path = Path(path)
        with path.open("rb") as handle:
            return self.request("POST", "submissions/", data=data, files={"file": (path.name, handle)}, retries=0)

    def submission(self, submission_id: int) -> dict:
        return self.request("GET", f"submissions/{submission_id}/")

    def submissions(self, **params: Any) -> list[dict]:
        """Your submissions, newest first (every page), filtered by ``track``, ``status``, ``is_hidden``..."""
        found: list[dict] = []
        page: str | None = "submissions/"
        query: dict[str, str] | None = _params(params)
        while page:
            answer = self.request("GET", page, params=query)
            found.extend(answer["results"])
            page, query = answer.get("next"), None  # the next page's address carries the filters
        return found

    def update(self, submission_id: int, **fields: Any) -> dict:
        """Change the method name, description, links or ``is_hidden`` of your submission."""
        changes = {name: value for name, value in fields.items() if value is not None}
        return self.request("PATCH", f"submissions/{submission_id}/", json=changes, retries=0)

    def choose(self, submission_id: int) -> dict:
        """Make your scored submission the entry that counts, on tracks where participants choose."""
        return self.request("POST", f"submissions/{submission_id}/choose/", retries=0)

    def cancel(self, submission_id: int) -> dict:
        """Cancel your queued or running submission."""
        return self.request("POST", f"submissions/{submission_id}/cancel/", retries=0)

    def scores(self, submission_id: int) -> dict:
        return self.request("GET", f"submissions/{submission_id}/scores/")

    def track(self, slug: str) -> dict:
        return self.request("GET", f"tracks/{slug}/")

    def kit(self, slug: str) -> bytes:
        """The track's starter kit zip."""
        response = self.http.get(self._url(f"tracks/{slug}/kit/"), timeout=self.timeout)
        if response.status_code >= 400:
            raise _error(response)
        return response.content

    def leaderboard(self, slug: str, **params: Any) -> dict:
        return self.request("GET", f"tracks/{slug}/leaderboard/", params=_params(params))

    def leaderboard_csv(self, slug: str, **params: Any) -> str:
        """The leaderboard as the site's CSV download: ``ENTRY_FIELDS``, then one column per stat."""
        query = {**_params(params), "format": "csv"}
        path = f"tracks/{slug}/leaderboard/"
        return self.response("GET", path, params=query, headers={"Accept": "text/csv"}).text

    def wait(
        self,
        submission_id: int,
        *,
        interval: float = 2.0,
        timeout: float = 3600,
        on_change: Callable[[dict], None] | None = None,
    ) -> dict:
        """Poll until the submission is scored, failed or cancelled; TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            submission = self.submission(submission_id)
            if submission["status"] != last and on_change is not None:
                on_change(submission)
            last = submission["status"]
            if submission["status"] in FINISHED:
                return submission
            if time.monotonic() >= deadline:
                raise TimeoutError(f"submission {submission_id} is still {last} after {timeout:g} s")
            self.sleep(interval)


def _retry_after(response: requests.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", 5)), 1.0), 60.0)
    except ValueError:
        return 5.0


def _error(response: requests.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        return ApiError(response.status_code, f"HTTP {response.status_code} {response.reason}")
    if isinstance(body, dict) and "detail" in body:
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        return ApiError(response.status_code, str(body["detail"]), errors)
    if isinstance(body, dict):  # field errors without the site's error handler
        errors = {name: value if isinstance(value, list) else [value] for name, value in body.items()}
        detail = " ".join(f"{name}: {' '.join(map(str, value))}" for name, value in errors.items())
        return ApiError(response.status_code, detail, errors)
    return ApiError(response.status_code, str(body))


def _form_value(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _params(params: dict[str, Any]) -> dict[str, str]:
    return {name: _form_value(value) for name, value in params.items() if value is not None}


def number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:.4f}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def table(header: list[str], rows: Iterable[list[str]], out: TextIO) -> None:
    rows = list(rows)
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for line in (header, ["-" * width for width in widths], *rows):
        out.write("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n")


def print_submission(submission: dict, out: TextIO) -> None:
    out.write(
        f"Submission {submission['id']} · {submission['method_name']} · {submission['track']} · "
        f"{submission['status']}\n"
    )
    if submission.get("error_message"):
        out.write(f"What was wrong: {submission['error_message']}\n")
    for result in submission.get("transfer_scores", [])[:1]:
        out.write(f"Transfer metrics ({result['subset']} test sets):\n")
        table(["metric", "value"], ([name, number(value)] for name, value in result["stats"].items()), out)
    if submission.get("transfer_scores"):
        return
    for score in submission.get("scores", []):
        out.write(f"{score['subset'].capitalize()} test set (engine {score['engine_version']}):\n")
        table(["metric", "value"], ([name, number(value)] for name, value in score["stats"].items()), out)


def print_submissions(submissions: list[dict], out: TextIO) -> None:
    def row(s: dict) -> list[str]:
        flags = ("yes" if s["is_hidden"] else "", "yes" if s["is_selected"] else "")
        return [str(s["id"]), s["track"], s["method_name"], s["status"], *flags, s["created_at"][:16].replace("T", " ")]

    table(["id", "track", "method", "status", "hidden", "counts", "submitted"], map(row, submissions), out)


# The fields of each leaderboard entry before its stats, as the site names them
# (leaderboard.selectors.ENTRY_FIELDS; the client does not import the site).
ENTRY_FIELDS = (
    "rank", "submission", "method", "participant", "strategy", "uses_target_labels", "baseline", "simulated",
    "submitted", "paper_url", "code_url", "ms_per_image", "primary_value",
)  # fmt: skip  # a list of names


def print_csv(text: str, out: TextIO, *, columns: list[str] | None) -> None:
    """The site's CSV as it came; with ``columns``, only those stats after the entry fields."""
    if not columns:
        out.write(text)
        return
    reader = csv.DictReader(io.StringIO(text))
    writer = csv.DictWriter(out, fieldnames=[*ENTRY_FIELDS, *columns], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(reader)


def print_leaderboard(board: dict, out: TextIO, *, columns: list[str] | None) -> None:
    columns = columns or board["columns"]
    out.write(f"{board['track']} · {board['subset']} test set · ranked by {board['primary_metric']}\n")
    header = ["#", "method", "participant", *columns]
    table(
        header,
        (
            [str(r["rank"]), r["method"], r["participant"], *(number(r["stats"].get(c)) for c in columns)]
            for r in board["rows"]
        ),
        out,
    )


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="python -m lbclient",
        description="Submit detections to the leaderboard, follow their scoring and read leaderboards.",
    )
    main_parser.add_argument(
        "--url", default=os.environ.get("LEADERBOARD_URL", DEFAULT_URL), help="site address (LEADERBOARD_URL)"
    )
    main_parser.add_argument(
        "--token", default=os.environ.get("LEADERBOARD_TOKEN"), help="API token from your profile (LEADERBOARD_TOKEN)"
    )
    commands = main_parser.add_subparsers(dest="command", required=True)

    submit = commands.add_parser("submit", help="upload a results file")
    submit.add_argument("--track", required=True, help="track slug, e.g. demo-coco-detection")
    submit.add_argument("--method", required=True, help="method name shown on the leaderboard")
    submit.add_argument("file", type=Path, help="results file (COCO JSON, or a zip for the other formats)")
    submit.add_argument("--description")
    submit.add_argument("--paper-url")
    submit.add_argument("--code-url")
    submit.add_argument("--strategy", help="transfer strategy, e.g. fine-tuning (default as-is)")
    submit.add_argument("--uses-target-labels", action="store_true", default=None)
    submit.add_argument("--parameters-millions", type=float)
    submit.add_argument("--replay-samples", type=int)
    submit.add_argument("--adaptation-gpu-hours", type=float)
    submit.add_argument("--ms-per-image", type=float)
    _wait_options(submit)

    status = commands.add_parser("status", help="show a submission's status and scores")
    status.add_argument("id", type=int)
    _wait_options(status)

    kit = commands.add_parser("kit", help="save a track's starter kit (image list, categories, sample, formats)")
    kit.add_argument("slug")
    kit.add_argument("-o", "--output", type=Path, help="where to save it (default <slug>-kit.zip)")

    mine = commands.add_parser("list", help="list your submissions, newest first")
    mine.add_argument("--track", help="only this track's (slug)")
    mine.add_argument("--status", choices=["queued", "running", "scored", "failed", "cancelled"])

    edit = commands.add_parser("edit", help="change a submission's method name, description or links, or hide it")
    edit.add_argument("id", type=int)
    edit.add_argument("--method", help="new method name")
    edit.add_argument("--description")
    edit.add_argument("--paper-url")
    edit.add_argument("--code-url")
    shown = edit.add_mutually_exclusive_group()
    shown.add_argument("--hide", dest="is_hidden", action="store_true", default=None, help="off the public board")
    shown.add_argument("--show", dest="is_hidden", action="store_false", help="back on the public board")

    choose = commands.add_parser("choose", help="make a scored submission the entry that counts (where you choose)")
    choose.add_argument("id", type=int)

    cancel = commands.add_parser("cancel", help="cancel a queued or running submission")
    cancel.add_argument("id", type=int)

    board = commands.add_parser("leaderboard", help="print a track's leaderboard")
    board.add_argument("slug")
    board.add_argument("--csv", action="store_true", help="CSV instead of a table")
    board.add_argument("--columns", help="comma-separated stats to show (default: the track's columns)")
    board.add_argument("--sort", help="rank by this stat instead of the primary metric")
    board.add_argument("--strategy")
    board.add_argument("--subset", choices=["public", "full"])
    return main_parser


def _wait_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--wait", action="store_true", help="poll until scored, then print the scores")
    command.add_argument("--interval", type=float, default=2.0, help="seconds between polls (default 2)")
    command.add_argument("--timeout", type=float, default=3600, help="give up waiting after this (default 3600)")


def _follow(client: Client, submission: dict, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.wait and submission["status"] not in FINISHED:
        try:
            submission = client.wait(
                submission["id"],
                interval=args.interval,
                timeout=args.timeout,
                on_change=lambda s: err.write(f"submission {s['id']}: {s['status']}\n"),
            )
        except TimeoutError as exc:
            err.write(f"{exc}; ask again with: python -m lbclient status {submission['id']} --wait\n")
            return EXIT_TIMEOUT
    print_submission(submission, out)
    if submission["status"] in ("failed", "cancelled"):
        return EXIT_ERROR
    if args.wait and submission["status"] != "scored":
        return EXIT_TIMEOUT
    return 0


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    client = Client(args.url, args.token)
    if args.command == "submit":
        if not args.token:
            err.write("error: submitting needs your API token: --token or LEADERBOARD_TOKEN (see your profile page)\n")
            return EXIT_USAGE
        if not args.file.is_file():
            err.write(f"error: {args.file}: no such file\n")
            return EXIT_USAGE
        fields = {
            name: getattr(args, name)
            for name in (
                "description", "paper_url", "code_url", "strategy", "uses_target_labels", "parameters_millions",
                "replay_samples", "adaptation_gpu_hours", "ms_per_image",
            )
        }  # fmt: skip  # a table: several entries a line
        submission = client.submit(track=args.track, method_name=args.method, path=args.file, **fields)
        err.write(f"submission {submission['id']} accepted: {submission['status']} · {submission['page']}\n")
        return _follow(client, submission, args, out, err)
    if args.command == "status":
        return _follow(client, client.submission(args.id), args, out, err)
    if args.command in ("list", "edit", "choose", "cancel") and not args.token:
        err.write(f"error: {args.command} needs your API token: --token or LEADERBOARD_TOKEN (see your profile page)\n")
        return EXIT_USAGE
    if args.command == "list":
        print_submissions(client.submissions(track=args.track, status=args.status), out)
        return 0
    if args.command == "edit":
        changes = {
            "method_name": args.method, "description": args.description, "paper_url": args.paper_url,
            "code_url": args.code_url, "is_hidden": args.is_hidden,
        }  # fmt: skip  # a table: several entries a line
        if all(value is None for value in changes.values()):
            err.write(
                "error: nothing to change: give --method, --description, --paper-url, --code-url, --hide or --show\n"
            )
            return EXIT_USAGE
        print_submission(client.update(args.id, **changes), out)
        return 0
    if args.command == "choose":
        print_submission(client.choose(args.id), out)
        return 0
    if args.command == "cancel":
        print_submission(client.cancel(args.id), out)
        return 0
    if args.command == "kit":
        target = args.output or Path(f"{args.slug}-kit.zip")
        target.write_bytes(client.kit(args.slug))
        err.write(f"saved {target}; check a file with: python -m evaluator check --kit {target} --results FILE\n")
        return 0
    options = {"sort": args.sort, "strategy": args.strategy, "subset": args.subset}
    columns = [name.strip() for name in args.columns.split(",")] if args.columns else None
    if args.csv:
        print_csv(client.leaderboard_csv(args.slug, **options), out, columns=columns)
    else:
        print_leaderboard(client.leaderboard(args.slug, **options), out, columns=columns)
    return 0


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = parser().parse_args(argv)
    try:
        return run(args, out, err)
    except ApiError as exc:
        err.write(f"error: {exc.detail}\n")
        for name, messages in exc.errors.items():
            if [exc.detail] != messages:
                err.write(f"  {name}: {' '.join(messages)}\n")
        return EXIT_ERROR
    except requests.RequestException as exc:
        err.write(f"error: cannot reach {args.url}: {exc}\n")
        return EXIT_ERROR
