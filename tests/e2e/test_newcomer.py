"""A newcomer in a real browser, using only what the site shows, on each protocol's track.

Home page -> track page -> starter kit download -> a results file built from the kit's
images.json and categories.json in the format its FORMAT.md describes -> the local check the
track page shows -> upload through the submit form -> a scored entry on the leaderboard.
The worker is real; the stack loads the generated benchmarks and the real KITTI and KAIST ones.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, shared_file
from tests.integration.stack import Stack, deployed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
IMAGES = 30
SCORED_WITHIN_MS = 240_000


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    shared_file("kitti/val.txt")
    shared_file("kaist-daynight/KAIST_annotation.json")
    env = {
        "SHARED_DATA_DIR": str(SHARED_DATA),
        "SCORING_BOOTSTRAP_RESAMPLES": os.environ.get("SCORING_BOOTSTRAP_RESAMPLES", "40"),
    }
    demo = ["--no-submissions", "--images", str(IMAGES), "--real", "kitti", "kaist"]
    with deployed(demo=demo, env=env) as deployment:
        yield deployment


def sign_up(page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", "Kit-2-score-in-a-browser")
    page.fill("#id_password2", "Kit-2-score-in-a-browser")
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector("#nav-profile")


# --------------------------------------------------------------------------- the newcomer's "detector"
# One box per image in the middle third, cycling through the categories: a file a newcomer writes
# from the kit alone. It scores low, but it must be accepted and scored.


def _middle_box(image: dict, fallback: tuple[int, int]) -> tuple[float, float, float, float]:
    width, height = image.get("width") or fallback[0], image.get("height") or fallback[1]
    return width / 3, height / 3, width / 3, height / 3


def coco_results(images: list[dict], categories: list[dict]) -> bytes:
    records = [
        {
            "image_id": image["id"],
            "category_id": categories[k % len(categories)]["id"],
            "bbox": list(_middle_box(image, (640, 480))),
            "score": 0.5,
        }
        for k, image in enumerate(images)
    ]
    return json.dumps(records).encode()


def voc_results(images: list[dict], categories: list[dict]) -> bytes:
    lines: dict[str, list[str]] = {}
    for k, image in enumerate(images):
        x, y, w, h = _middle_box(image, (500, 375))
        name = categories[k % len(categories)]["name"]
        lines.setdefault(name, []).append(f"{image['id']} 0.5 {x + 1:.1f} {y + 1:.1f} {x + w:.1f} {y + h:.1f}")
    return _zip({f"comp4_det_test_{name}.txt": "\n".join(rows) + "\n" for name, rows in lines.items()})


def kitti_results(images: list[dict], categories: list[dict]) -> bytes:
    files = {}
    for image in images:
        x, y, w, h = _middle_box(image, (1242, 375))
        files[f"{image['id']}.txt"] = (
            f"Car -1 -1 -10 {x:.2f} {y:.2f} {x + w:.2f} {y + h:.2f} -1 -1 -1 -1000 -1000 -1000 -10 0.5\n"
        )
    return _zip(files)


def kaist_results(images: list[dict], categories: list[dict]) -> bytes:
    rows = []
    for image in images:
        x, y, w, h = _middle_box(image, (640, 512))
        rows.append(f"{image['id'] + 1},{x:.1f},{y:.1f},{w:.1f},{h:.1f},0.5")
    return ("\n".join(rows) + "\n").encode()


def transfer_results(images: list[dict], categories: list[dict]) -> bytes:
    domains = list(dict.fromkeys(image["domain"] for image in images))
    files = {}
    for domain in domains:
        used = [c for c in categories if domain in c["domains"]]
        data = coco_results([i for i in images if i["domain"] == domain], used).decode()
        for stage in (1, len(domains)):
            files[f"stage{stage}/{domain}.json"] = data
    return _zip(files)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# (track name on the home page, results file, builder, a convention the format guide must state)
TRACKS = {
    "coco": ("Demo COCO-style detection", "results.json", coco_results, "x, y, width, height"),
    "voc": ("Demo VOC 2007-style detection", "results.zip", voc_results, "1-based"),
    "kitti": ("KITTI 2D detection (val)", "results.zip", kitti_results, "0-based pixel corners"),
    "kaist": ("KAIST Reasonable, day and night", "results.txt", kaist_results, "written k + 1"),
    "transfer": ("Demo Day2Night: day → dawn/dusk → night", "results.zip", transfer_results, "stage<i>/<domain>"),
}


@pytest.mark.parametrize("protocol", list(TRACKS))
def test_a_newcomer_goes_from_the_track_page_to_a_scored_entry(page, tmp_path, protocol):
    track_name, filename, build, convention = TRACKS[protocol]
    sign_up(page, f"newcomer-{protocol}")

    page.click(f"text={track_name}")
    page.wait_for_selector("#participate")
    assert page.locator("#overview").inner_text().strip() != "Overview"
    assert "better" in page.locator("#metric-words").inner_text()
    with page.expect_download() as download:
        page.click("#kit-link")
    kit = tmp_path / download.value.suggested_filename
    download.value.save_as(kit)

    with zipfile.ZipFile(kit) as archive:
        images = json.loads(archive.read("images.json"))
        categories = json.loads(archive.read("categories.json"))
        guide = archive.read("FORMAT.md").decode()
    assert convention in guide
    results = tmp_path / filename
    results.write_bytes(build(images, categories))

    shown = page.locator("#step-check code").inner_text().replace(kit.name, str(kit))
    command = shown.replace(f"--results {filename}", f"--results {results}").split()
    assert command[:4] == ["python", "-m", "evaluator", "check"]
    checked = subprocess.run(
        [sys.executable, *command[1:]], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    page.click("#track-submit")
    page.wait_for_selector("#submit-form")
    assert page.locator("#quota-track").inner_text() == track_name
    transfer_fields = page.locator("#field-strategy")
    if protocol == "transfer":
        assert transfer_fields.is_visible()
        page.select_option("#id_strategy", "fine-tuning")
    else:
        assert not transfer_fields.is_visible()
    page.fill("#id_method_name", f"First try on {protocol}")
    page.set_input_files("#id_file", str(results))
    page.click("#submit-button")

    page.wait_for_url("**/submissions/*/")
    assert page.locator("#queued-notice").is_visible() or page.locator("#status.scored").count()
    page.wait_for_selector("#status.scored", timeout=SCORED_WITHIN_MS)
    assert page.locator("#error").is_hidden()
    assert page.locator("table.stats").first.is_visible()

    page.click(f"text={track_name}")
    assert f"First try on {protocol}" in page.locator("#leaderboard").inner_text()


def test_a_refused_upload_is_on_top_focused_and_the_quota_follows_the_track(page, tmp_path):
    sign_up(page, "newcomer-mistakes")
    page.goto("/submit/")
    page.select_option("#id_track", label=TRACKS["kitti"][0])
    assert page.locator("#quota-track").inner_text() == TRACKS["kitti"][0]
    assert "Expected: a zip of KITTI label files" in page.locator("#file-format").inner_text()
    page.select_option("#id_track", label=TRACKS["coco"][0])
    assert page.locator("#quota-track").inner_text() == TRACKS["coco"][0]

    bad = tmp_path / "mine.json"
    bad.write_text('[{"image_id": 1, "category_id": ')
    page.fill("#id_method_name", "Broken")
    page.set_input_files("#id_file", str(bad))
    page.click("#submit-button")
    page.wait_for_selector("#form-errors")
    assert page.evaluate("() => document.activeElement.id") == "form-errors"
    top = page.evaluate("() => document.getElementById('form-errors').getBoundingClientRect().top")
    assert -1 < top < page.viewport_size["height"] / 2  # scrolled into view (sub-pixel rounding aside)
    assert "mine.json" in page.locator("#form-errors").inner_text()
    assert page.locator("#choose-again").is_visible()
    assert page.locator("#quota-track").inner_text() == TRACKS["coco"][0]
    assert page.input_value("#id_method_name") == "Broken"
