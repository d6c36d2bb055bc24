"""The command-line client, run as a participant runs it, against a live site started by the test."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

import evaluator
import evaluator.subsets
from leaderboard import demo
from tests.conftest import PROJECT_ROOT
from tests.integration.site_client import Participant
from tests.integration.stack import Stack, deployed

IMAGES = 60
TRACK = "demo-coco-detection"
PASSWORD = "Pw-0f-test-only"  # what Participant signs up with


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LEADERBOARD_"))}
    return {**env, **extra}


def lbclient(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lbclient", *args],
        cwd=PROJECT_ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_client_runs_without_django_or_the_site():
    code = "import sys, lbclient; print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'leaderboard')))"
    imported = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=clean_env(), capture_output=True, text=True, check=True
    )
    assert imported.stdout.strip() == "[]"
    helped = lbclient("--help")
    assert helped.returncode == 0
    commands = ("submit", "status", "list", "edit", "choose", "cancel", "kit", "leaderboard")
    assert all(command in helped.stdout for command in commands)
    refused = lbclient("--url", "http://127.0.0.1:9", "submit", "--track", TRACK, "--method", "M", "x.json")
    assert refused.returncode == 2 and "needs your API token" in refused.stderr


@pytest.fixture(scope="module")
def site() -> Iterator[Stack]:
    with deployed(demo=["--no-submissions", "--skip-real", "--images", str(IMAGES)]) as stack:
        yield stack


def token_of(stack: Stack, username: str) -> str:
    Participant(stack, username)
    response = requests.post(stack.url("/api/v1/token/"), data={"username": username, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def public_stats(stack: Stack, results: bytes) -> dict[str, float]:
    """The engine's figures on the split's public images, computed here from the stack's ground truth."""
    gt = evaluator.load_ground_truth(stack.root / "ground_truth" / "demo-coco" / "val" / "val.json", protocol="coco")
    public = evaluator.subsets.public_image_ids(
        evaluator.image_ids(gt, protocol="coco"), seed="demo-coco-val", fraction=0.5
    )
    path = stack.root / "expected.json"
    path.write_bytes(results)
    found = evaluator.load_results(path, protocol="coco", ground_truth=gt)
    return dict(evaluator.evaluate(gt, found, protocol="coco", images=public).stats)


def stat_lines(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(AP\w*|AR\w*)\s+(\S+)$", output, flags=re.MULTILINE))


@pytest.mark.integration
@pytest.mark.slow
def test_submit_wait_status_and_leaderboard_against_a_live_site(site, tmp_path):
    alice, bob = token_of(site, "alice"), token_of(site, "bob")
    gt_data = demo.generate_ground_truth(images=IMAGES)
    strong = demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[3], seed=1))
    weak = demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[0], seed=2))
    (tmp_path / "strong.json").write_bytes(strong)
    (tmp_path / "weak.json").write_bytes(weak)
    options = ("--url", site.base_url, "--token", alice)

    done = lbclient(
        *options,
        "submit",
        "--track",
        TRACK,
        "--method",
        "Strong",
        str(tmp_path / "strong.json"),
        "--description",
        "from the client",
        "--wait",
        "--interval",
        "0.5",
    )
    assert done.returncode == 0, done.stderr
    strong_id = int(re.search(r"submission (\d+) accepted: queued", done.stderr).group(1))
    assert f"Submission {strong_id} · Strong · {TRACK} · scored" in done.stdout
    assert "Public test set" in done.stdout and "Full" not in done.stdout
    expected = public_stats(site, strong)
    printed = stat_lines(done.stdout)
    assert printed["AP"] == f"{expected['AP']:.4f}" and printed["AP50"] == f"{expected['AP50']:.4f}"

    # Token and address from the environment; no waiting, then polling with status.
    env = {"LEADERBOARD_URL": site.base_url, "LEADERBOARD_TOKEN": bob}
    queued = lbclient("submit", "--track", TRACK, "--method", "Weak", str(tmp_path / "weak.json"), **env)
    assert queued.returncode == 0, queued.stderr
    weak_id = int(re.search(r"submission (\d+) accepted", queued.stderr).group(1))
    polled = lbclient("status", str(weak_id), "--wait", "--interval", "0.5", **env)
    assert polled.returncode == 0 and f"Submission {weak_id} · Weak · {TRACK} · scored" in polled.stdout
    assert stat_lines(polled.stdout)["AP"] == f"{public_stats(site, weak)['AP']:.4f}"
    assert stat_lines(lbclient("status", str(strong_id), **env).stdout) == printed  # a scored entry is public

    (tmp_path / "again.json").write_bytes(strong)
    duplicate = lbclient(*options, "submit", "--track", TRACK, "--method", "Again", str(tmp_path / "again.json"))
    assert duplicate.returncode == 1
    assert "error: You already submitted this exact file as 'Strong'." in duplicate.stderr
    (tmp_path / "broken.json").write_bytes(b'[{"image_id": 1, "bbox": [')
    broken = lbclient(*options, "submit", "--track", TRACK, "--method", "Broken", str(tmp_path / "broken.json"))
    assert broken.returncode == 1 and "broken.json" in broken.stderr
    (tmp_path / "off.json").write_bytes(b'[{"image_id": 987654, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.3}]')
    off = lbclient(*options, "submit", "--track", TRACK, "--method", "Off", str(tmp_path / "off.json"), "--wait")
    assert off.returncode == 1 and "accepted" not in off.stderr
    assert "off.json, record 1: image_id 987654 is not an image of this split" in off.stderr
    unknown = lbclient(*options, "submit", "--track", "no-such-track", "--method", "M", str(tmp_path / "weak.json"))
    assert unknown.returncode == 1 and "track" in unknown.stderr
    stranger = lbclient("--url", site.base_url, "--token", "0" * 40, "status", str(weak_id))
    assert stranger.returncode == 1 and "Invalid token" in stranger.stderr

    api = requests.get(site.url(f"/api/v1/tracks/{TRACK}/leaderboard/"), timeout=30).json()
    as_csv = lbclient("--url", site.base_url, "leaderboard", TRACK, "--csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["rank"], r["method"], r["participant"]) for r in rows] == [
        ("1", "Strong", "alice"),
        ("2", "Weak", "bob"),
    ]
    for row, expected_row in zip(rows, api["rows"], strict=True):
        assert {name: float(row[name]) for name in api["columns"] if row[name]} == {
            name: value for name, value in expected_row["stats"].items() if value is not None
        }
    assert float(rows[0]["AP"]) == expected["AP"]

    shown = lbclient("--url", site.base_url, "leaderboard", TRACK, "--columns", "AP,AP50")
    lines = shown.stdout.splitlines()
    assert lines[0] == f"{TRACK} · public test set · ranked by AP"
    assert lines[1].split() == ["#", "method", "participant", "AP", "AP50"]
    assert lines[3].split() == ["1", "Strong", "alice", f"{expected['AP']:.4f}", f"{expected['AP50']:.4f}"]
    refused = lbclient("--url", site.base_url, "leaderboard", TRACK, "--subset", "full")
    assert refused.returncode == 1 and "once the hosts reveal it" in refused.stderr


def listed(*options: str) -> dict[int, list[str]]:
    """``lbclient list``'s rows by submission id: id, track, method, status, then the flags and date."""
    shown = lbclient(*options, "list")
    assert shown.returncode == 0, shown.stderr
    header, _, *rows = shown.stdout.splitlines()
    assert header.split() == ["id", "track", "method", "status", "hidden", "counts", "submitted"]
    return {int(row.split()[0]): row.split() for row in rows}


@pytest.mark.integration
@pytest.mark.slow
def test_list_edit_hide_choose_and_cancel_with_the_client(site, tmp_path):
    options = ("--url", site.base_url, "--token", token_of(site, "carol"))
    gt_data = demo.generate_ground_truth(images=IMAGES)
    ids = []
    for seed, method in ((5, "First"), (6, "Second")):
        path = tmp_path / f"{method}.json"
        path.write_bytes(demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[1], seed=seed)))
        done = lbclient(
            *options, "submit", "--track", TRACK, "--method", method, str(path), "--wait", "--interval", "0.5"
        )
        assert done.returncode == 0, done.stderr
        ids.append(int(re.search(r"submission (\d+) accepted", done.stderr).group(1)))
    first, second = ids
    assert {pk: row[:4] for pk, row in listed(*options).items()} == {
        second: [str(second), TRACK, "Second", "scored"],
        first: [str(first), TRACK, "First", "scored"],
    }
    assert list(listed(*options)) == [second, first]  # newest first

    edited = lbclient(
        *options, "edit", str(second), "--method", "Renamed", "--code-url", "https://example.org/c", "--hide"
    )
    assert edited.returncode == 0, edited.stderr
    assert f"Submission {second} · Renamed · {TRACK} · scored" in edited.stdout
    assert listed(*options)[second][2:5] == ["Renamed", "scored", "yes"]
    board = requests.get(site.url(f"/api/v1/tracks/{TRACK}/leaderboard/"), timeout=30).json()
    assert "Renamed" not in [row["method"] for row in board["rows"]]
    shown = lbclient(*options, "edit", str(second), "--show")
    assert shown.returncode == 0 and listed(*options)[second][4] != "yes"
    nothing = lbclient(*options, "edit", str(second))
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    insecure = lbclient(*options, "edit", str(second), "--paper-url", "javascript:alert(1)")
    assert insecure.returncode == 1 and "paper_url" in insecure.stderr

    refused = lbclient(*options, "choose", str(first))
    assert refused.returncode == 1 and "there is no choice" in refused.stderr
    set_selection = "from leaderboard.models import Track; Track.objects.filter(slug='{}').update(selection='{}')"
    site.manage("shell", "-c", set_selection.format(TRACK, "selected"))
    try:
        chosen = lbclient(*options, "choose", str(first))
        assert chosen.returncode == 0, chosen.stderr
        assert f"Submission {first} · First" in chosen.stdout
        assert listed(*options)[first][4] == "yes"
    finally:
        site.manage("shell", "-c", set_selection.format(TRACK, "best"))

    done_already = lbclient(*options, "cancel", str(first))
    assert done_already.returncode == 1 and "this one is scored" in done_already.stderr
    # No worker while the next upload waits, so that it is still queued when cancelled: a race
    # against scoring (a large file "taking seconds") was lost once the worker got faster.
    waiting_file = tmp_path / "Waiting.json"
    waiting_file.write_bytes(demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[1], seed=7)))
    site.kill_worker()
    try:
        queued = lbclient(*options, "submit", "--track", TRACK, "--method", "Waiting", str(waiting_file))
        waiting = int(re.search(r"submission (\d+) accepted", queued.stderr).group(1))
        assert listed(*options)[waiting][3] == "queued"
        cancelled = lbclient(*options, "cancel", str(waiting))
        assert cancelled.returncode == 0, cancelled.stderr
        assert f"Submission {waiting} · Waiting · {TRACK} · cancelled" in cancelled.stdout
    finally:
        site.start_worker()


@pytest.mark.integration
@pytest.mark.slow
def test_kit_check_and_submit_the_sample_with_only_the_client_and_the_engine(site, tmp_path):
    import json
    import zipfile

    token = token_of(site, "kit-user")
    kit = tmp_path / "kit.zip"
    saved = lbclient("--url", site.url(""), "kit", TRACK, "-o", str(kit))
    assert saved.returncode == 0, saved.stderr
    with zipfile.ZipFile(kit) as archive:
        name = json.loads(archive.read("kit.json"))["sample_submission"]
        sample = tmp_path / name
        sample.write_bytes(archive.read(name))
    checked = subprocess.run(
        [sys.executable, "-m", "evaluator", "check", "--kit", str(kit), "--results", str(sample)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stderr
    submitted = lbclient(
        "--url",
        site.url(""),
        "--token",
        token,
        "submit",
        "--track",
        TRACK,
        "--method",
        "Sample",
        str(sample),
        "--wait",
        "--interval",
        "0.5",
        "--timeout",
        "240",
    )
    assert submitted.returncode == 0, submitted.stderr
    assert "scored" in submitted.stdout + submitted.stderr
    missing = lbclient("--url", site.url(""), "kit", "no-such-track", "-o", str(tmp_path / "none.zip"))
    assert missing.returncode == 1 and "error:" in missing.stderr
