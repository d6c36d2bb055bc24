"""A participant in a real browser (Debian's chromium driven by Playwright) against a real stack."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leaderboard import demo
from tests.integration.stack import Stack, deployed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IMAGES = 40


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with deployed(demo=["--skip-real", "--images", str(IMAGES)]) as deployment:
        yield deployment


def sign_up(page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", "Pw-0f-browser-test")
    page.fill("#id_password2", "Pw-0f-browser-test")
    page.click("#signup-form button[type=submit]")
    page.wait_for_url("**/")


def upload(page, tmp_path: Path, *, method: str, filename: str, content: bytes) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    page.goto("/submit/")
    page.select_option("#id_track", label="Demo COCO-style detection")
    page.fill("#id_method_name", method)
    assert not page.locator("#id_strategy").is_visible()  # a transfer-only field, hidden on an accuracy track
    page.set_input_files("#id_file", str(path))
    page.click("#submit-button")


def test_participant_uploads_and_sees_the_score_arrive(page, tmp_path):
    sign_up(page, "erin")
    gt_data = demo.generate_ground_truth(images=IMAGES)
    results = demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[2], seed=9))
    upload(page, tmp_path, method="Browser R-CNN", filename="dets.json", content=results)

    page.wait_for_url("**/submissions/*/")
    # The page updates itself: no reload from the test.
    page.wait_for_selector("#status.scored", timeout=120_000)
    assert page.locator("table.stats").first.is_visible()
    assert "Per-class results" in page.content()

    # The threshold explorer: moving the confidence slider changes the operating point.
    page.wait_for_function("() => document.getElementById('op-tp').textContent !== ''")
    before = page.locator("#op-tp").inner_text(), page.locator("#op-fp").inner_text()
    marked = "() => { const d = document.getElementById('pooled-pr').data[1]; return [d.x[0], d.y[0]]; }"
    point_before = page.evaluate(marked)
    page.evaluate(
        "() => { const s = document.getElementById('explorer-score'); s.value = '0';"
        " s.dispatchEvent(new Event('input')); }"
    )
    after = page.locator("#op-tp").inner_text(), page.locator("#op-fp").inner_text()
    assert after != before
    assert int(after[0]) >= int(before[0])  # a lower threshold keeps more detections
    assert page.locator("#sweep .scatterlayer .trace").count() >= 3
    # The operating point is marked on the pooled precision-recall curve and moves with the slider.
    point_after = page.evaluate(marked)
    assert point_after != point_before
    assert abs(float(page.locator("#op-recall").inner_text()) - point_after[0]) <= 5.1e-5
    assert abs(float(page.locator("#op-precision").inner_text()) - point_after[1]) <= 5.1e-5
    assert page.locator("#confusion .hm, #confusion .heatmaplayer image").count() >= 1

    page.click("text=Demo COCO-style detection")
    leaderboard = page.locator("#leaderboard")
    assert "Browser R-CNN" in leaderboard.inner_text()


def test_bad_file_is_rejected_with_the_reason(page, tmp_path):
    sign_up(page, "frank")
    upload(page, tmp_path, method="Broken", filename="truncated.json", content=b'[{"image_id": 1, "category_id": ')
    message = page.locator("#error-file").inner_text()
    assert "truncated.json" in message
    assert page.url.endswith("/submit/")


def test_ids_outside_the_split_are_refused_at_upload_with_the_reason(page, tmp_path):
    # Checked against the track's kit before anything is saved: no submission, no quota spent.
    sign_up(page, "grace")
    records = [{"image_id": 31337, "category_id": 2, "bbox": [3, 3, 20, 20], "score": 0.7}]
    upload(page, tmp_path, method="Off split", filename="off.json", content=json.dumps(records).encode())
    assert page.url.endswith("/submit/")
    message = page.locator("#error-file").inner_text()
    assert "off.json, record 1: image_id 31337 is not an image of this split" in message


def test_strategy_comparison_scatter_has_one_point_per_submission_with_hover(page):
    from leaderboard import demo_transfer

    expected = len(demo_transfer.STRATEGIES)
    track = "/tracks/demo-day2night-transfer/"

    def scored_points() -> int:
        page.goto(track + "strategies/")
        page.wait_for_function("() => document.getElementById('scatter') && document.getElementById('scatter').data")
        return page.evaluate("() => document.getElementById('scatter').data.reduce((n, t) => n + t.x.length, 0)")

    deadline = time.monotonic() + 180
    while scored_points() < expected and time.monotonic() < deadline:
        time.sleep(2)
    assert scored_points() == expected

    methods = page.evaluate("() => document.getElementById('scatter').data.flatMap((t) => t.text)")
    assert "Learning without forgetting (simulated)" in methods
    curve = page.evaluate(
        "() => document.getElementById('scatter').data.findIndex((t) => t.text.includes('Learning without forgetting (simulated)'))"
    )
    point = page.evaluate(
        f"() => document.getElementById('scatter').data[{curve}].text.indexOf('Learning without forgetting (simulated)')"
    )
    page.evaluate(f"() => Plotly.Fx.hover('scatter', [{{curveNumber: {curve}, pointNumber: {point}}}])")
    hover = page.locator("#scatter .hoverlayer").text_content()
    assert "Learning without forgetting" in hover
    # One colour per strategy on both charts; the source-only models dashed, in one toggleable group.
    lines = page.evaluate(
        "() => document.getElementById('sequence').data.map((t) => [t.legendgroup, t.line.color, t.line.dash || 'solid'])"
    )
    colours = page.evaluate(
        "() => Object.fromEntries(document.getElementById('scatter').data.map((t) => [t.legendgroup, t.marker.color]))"
    )
    final = [line for line in lines if line[0] != "source-only"]
    assert len(final) == expected and all(colour == colours[group] for group, colour, _ in final)
    assert len(set(colours.values())) == len(colours)
    source_only = [line for line in lines if line[0] == "source-only"]
    assert source_only and all(dash == "dash" for _, _, dash in source_only)
    page.uncheck("#show-source-only")
    hidden = "() => document.getElementById('sequence').data.filter((t) => t.legendgroup === 'source-only')"
    assert all(trace["visible"] is False for trace in page.evaluate(hidden))


def test_compare_page_overlays_the_top_entries(page):
    track = "/tracks/demo-coco-detection/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page.goto(track)
        if page.locator("#leaderboard tbody tr td a").count() >= 3:
            break
        time.sleep(2)
    page.click("#compare-link")
    page.wait_for_selector("#compare-curves .scatterlayer .trace")
    assert page.locator("#compare-curves .scatterlayer .trace").count() == 3
    assert page.locator("#compare-table thead th").count() == 1 + 3 + 2
    assert page.locator("#compare-errors .barlayer .trace").count() == 6


def test_analyze_breakdown_draws_seven_bands_on_the_submission_and_compare_pages(page):
    track = "/tracks/demo-coco-detection/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page.goto(track)
        if page.locator("#leaderboard tbody tr td a").count() >= 2:
            break
        time.sleep(2)
    page.locator("#leaderboard tbody tr td a[href*='/submissions/']").first.click()
    page.wait_for_selector("#analyze-bars .barlayer .trace")
    assert page.locator("#analyze-bars .barlayer .trace").count() == 7
    assert page.evaluate("() => document.getElementById('analyze-curves').data.length") == 7
    assert page.locator("#analyze-classes tbody tr").count() >= 1

    page.goto(track)
    page.click("#compare-link")
    page.wait_for_selector("#compare-analyze .barlayer .trace")
    assert page.locator("#compare-analyze .barlayer .trace").count() == 7


def test_a_hostile_method_name_shows_as_text_in_plotly_hover(page, tmp_path):
    """Plotly renders some HTML in legends and hover labels; method names must reach it escaped."""
    sign_up(page, "mallory")
    hostile = '<b>bold</b><img src=x onerror="window.pwned=1">'
    gt_data = demo.generate_ground_truth(images=IMAGES)
    results = demo.to_json_bytes(demo.simulate_detections(gt_data, demo.PROFILES[0], seed=3))
    upload(page, tmp_path, method=hostile, filename="hostile.json", content=results)
    page.wait_for_url("**/submissions/*/")
    page.wait_for_selector("#status.scored", timeout=120_000)
    submission = page.url.rstrip("/").rsplit("/", 1)[-1]

    page.goto("/tracks/demo-coco-detection/")
    baseline = (
        page.locator("#leaderboard a[href*='/submissions/']").first.get_attribute("href").strip("/").rsplit("/", 1)[-1]
    )
    page.goto(f"/tracks/demo-coco-detection/compare/?id={submission}&id={baseline}")
    page.wait_for_selector("#compare-curves .scatterlayer .trace")
    hostile_curve = page.evaluate(
        "() => document.getElementById('compare-curves').data.findIndex((t) => t.name.includes('bold'))"
    )
    page.evaluate(f"() => Plotly.Fx.hover('compare-curves', [{{curveNumber: {hostile_curve}, pointNumber: 10}}])")
    hover = page.locator("#compare-curves .hoverlayer").text_content()
    legend = page.locator("#compare-curves .legend").text_content()
    assert "<b>bold</b>" in hover and "<b>bold</b>" in legend
    assert page.locator("#compare-curves img, #compare-curves .hoverlayer b, #compare-curves .legend b").count() == 0
    assert page.evaluate("() => window.pwned") is None


def _scored_coco_submission(page) -> None:
    track = "/tracks/demo-coco-detection/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page.goto(track)
        if page.locator("#leaderboard tbody tr td a").count() >= 1:
            break
        time.sleep(2)
    page.locator("#leaderboard tbody tr td a[href*='/submissions/']").first.click()
    page.wait_for_url("**/submissions/*/")
    page.wait_for_function("() => document.getElementById('curves-section')?.dataset.loaded")


# The figures the page shows, and those the stored data gives at the explorer's operating point.
SHOWN = """() => {
  const roc = document.getElementById('roc').data;
  const marker = roc.find((t) => t.name === 'operating point');
  const heat = document.getElementById('confusion').data[0];
  return {iou: document.getElementById('explorer-iou').value, index: +document.getElementById('explorer-score').value,
          roc: [marker.x[0], marker.y[0]], confusion: heat.customdata,
          pairs: document.getElementById('confused-pairs').innerText};
}"""
EXPECTED = """async ([iou, index]) => {
  const url = document.getElementById('curves-section').dataset.plotsUrl;
  const data = (await (await fetch(url, {credentials: 'same-origin'})).json()).explorer;
  const stored = data.confusion[iou];
  const size = stored.labels.length;
  const m = Array.from({length: size}, () => new Array(size).fill(0));
  stored.cells.forEach((c) => { m[c[0]][c[1]] = index < c.length - 2 ? c[2 + index] : 0; });
  stored.counted.forEach((n, g) => { m[g][size - 1] = n - m[g].slice(0, size - 1).reduce((a, b) => a + b, 0); });
  m[size - 1][size - 1] = null;
  return {roc: [data.roc.at_thresholds.fpr[index], data.roc.at_thresholds.tpr[index]], confusion: m};
}"""


def test_roc_and_confusion_follow_the_explorers_operating_point(page):
    _scored_coco_submission(page)
    page.wait_for_function("() => document.getElementById('roc').data && document.getElementById('confusion').data")
    assert "AUC" in page.locator("#roc-auc").inner_text()
    seen = []
    for iou, position in (("0.50", 0.5), ("0.50", 0.05), ("0.75", 0.05), ("0.75", 0.9)):
        page.select_option("#explorer-iou", iou)
        page.evaluate(
            "(p) => { const s = document.getElementById('explorer-score');"
            " s.value = String(Math.round(p * +s.max)); s.dispatchEvent(new Event('input')); }",
            position,
        )
        shown = page.evaluate(SHOWN)
        expected = page.evaluate(EXPECTED, [shown["iou"], shown["index"]])
        assert shown["iou"] == iou
        assert shown["roc"] == expected["roc"] and shown["confusion"] == expected["confusion"]
        assert iou in page.locator("#confusion-iou").inner_text()
        assert len(page.locator("#confused-pairs li").all()) <= 10
        seen.append((tuple(shown["roc"]), str(shown["confusion"])))
    # moving the confidence moves the ROC marker and changes the matrix; changing the IoU changes the matrix
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]
    assert seen[1][0] == seen[2][0] and seen[1][1] != seen[2][1]


def test_submission_page_leads_with_the_summary_and_sorts_the_per_class_table(page):
    _scored_coco_submission(page)
    summary_top = page.locator("#summary").bounding_box()["y"]
    assert summary_top < page.locator("#curves-section").bounding_box()["y"]
    assert page.locator("#primary-value").inner_text() != "—"
    page.click("#per-class-details summary")
    page.wait_for_selector("#per-class tbody tr")
    names = page.locator("#per-class tbody tr td:first-child").all_inner_texts()
    page.locator("#per-class thead th").nth(1).click()  # the first metric column, best first
    values = [
        float(v) if v != "—" else -1 for v in page.locator("#per-class tbody tr td:nth-child(2)").all_inner_texts()
    ]
    assert values == sorted(values, reverse=True)
    page.fill("#per-class-search", names[0][:4])
    shown = page.locator("#per-class tbody tr td:first-child").all_inner_texts()
    assert names[0] in shown and all(names[0][:4].lower() in name.lower() for name in shown)
