"""COCO results uploads: what malformed files report, and ``python -m evaluator --protocol coco``."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from evaluator.errors import MAX_PROBLEMS, InvalidInput
from evaluator.protocols import coco
from tests.conftest import PROJECT_ROOT, shared_file
from tests.evaluator.test_coco_parity import GT_FILE, OFFICIAL, RESULTS_FILE

GOOD = {"image_id": 42, "category_id": 18, "bbox": [10.5, 20, 30, 40], "score": 0.9}


@pytest.fixture(scope="module")
def gt(tmp_path_factory):
    """Images 42 and 73, categories 1, 3 and 18 (category 3 without objects)."""
    path = tmp_path_factory.mktemp("gt") / "instances.json"
    path.write_text(
        json.dumps(
            {
                "images": [{"id": 73}, {"id": 42}],
                "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}, {"id": 3, "name": "car"}],
                "annotations": [
                    {"id": 1, "image_id": 42, "category_id": 18, "bbox": [10, 20, 30, 40], "area": 1000, "iscrowd": 0},
                    {"id": 2, "image_id": 73, "category_id": 1, "bbox": [0, 0, 5, 5], "area": 25, "iscrowd": 0},
                ],
            }
        )
    )
    return coco.load_ground_truth(path)


def write(tmp_path, content, name="results.json"):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(json.dumps(content))
    return path


def problems(tmp_path, content, gt=None, name="results.json") -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        coco.load_results(write(tmp_path, content, name), gt)
    return excinfo.value


def lines(error: InvalidInput) -> list[str]:
    return [str(p) for p in error.problems]


def test_good_upload_loads_as_columns(tmp_path, gt):
    second = {"image_id": 73.0, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 1}
    results = coco.load_results(write(tmp_path, [GOOD, second]), gt)
    assert len(results) == 2 and results.source == "results.json"
    assert results.image_id.tolist() == [42, 73] and results.image_id.dtype == np.int64
    assert results.category_id.tolist() == [18, 1]
    np.testing.assert_array_equal(results.xywh, [[10.5, 20, 30, 40], [0, 0, 5, 5]])
    assert results.score.tolist() == [0.9, 1.0]
    with pytest.raises(ValueError):
        results.score[0] = 0.5  # read-only


# --------------------------------------------------------------------------- whole-file problems


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("hello", "results.json: is not valid JSON (unexpected character: line 1 column 1"),
        (json.dumps([GOOD, GOOD])[:-20], "results.json: is not valid JSON (unexpected end of data: line 1 column"),
        ("", "results.json: is empty; expected a COCO results JSON file"),
        ('{"image_id": 42}', "results.json: must be a JSON list of detections [{image_id, category_id, bbox, score}"),
        ('"detections"', "results.json: must be a JSON list of detections"),
        ("[]", "results.json: holds no detections; expected at least one"),
        ('{"images": [], "annotations": []}', "results.json: looks like an annotation file; expected a results list"),
    ],
    ids=["not-json", "truncated", "empty-file", "object", "string", "empty-list", "annotation-file"],
)
def test_whole_file_problems(tmp_path, content, expected):
    error = problems(tmp_path, content)
    assert len(error.problems) == 1 and not error.truncated
    assert str(error).startswith(expected), str(error)
    if "valid JSON" in expected:
        assert str(error).endswith("expected a COCO results JSON file")


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("NaN", "unexpected character"),
        ("Infinity", "unexpected character"),
        ("1e999", "number is infinity when parsed as double"),
    ],
)
def test_non_finite_json_numbers_are_refused_with_their_position(tmp_path, literal, reason):
    first = '[{"image_id": 42, "category_id": 18, "bbox": [1, 2, 3, 4], "score": 0.5},'
    second = ' {"image_id": 42, "category_id": 18, "bbox": [1, 2, 3, 4], "score": '
    error = problems(tmp_path, f"{first}\n{second}{literal}}}]")
    column, char = len(second) + 1, len(first) + 1 + len(second)
    assert lines(error) == [
        f"results.json: is not valid JSON ({reason}: line 2 column {column} (char {char})); "
        "expected a COCO results JSON file"
    ]


def test_archive_member_is_named(tmp_path, gt):
    path = tmp_path / "upload.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("dets/results.json", json.dumps([GOOD, {**GOOD, "score": "high"}]))
    with pytest.raises(InvalidInput) as excinfo:
        coco.load_results(path, gt)
    assert lines(excinfo.value) == [
        "upload.zip:dets/results.json, record 2: 'score' must be a finite number, got 'high'"
    ]


# --------------------------------------------------------------------------- record problems


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"image_id": 42, "bbox": [1, 2, 3, 4]}, "record 2: missing field(s) category_id, score"),
        ({**GOOD, "score": "0.9"}, "record 2: 'score' must be a finite number, got '0.9'"),
        ({**GOOD, "score": None}, "record 2: 'score' must be a finite number, got None"),
        ({**GOOD, "image_id": "42"}, "record 2: 'image_id' must be an integer, got '42'"),
        ({**GOOD, "category_id": [18]}, "record 2: 'category_id' must be an integer, got [18]"),
        (
            {**GOOD, "bbox": [1, 2, 3]},
            "record 2: 'bbox' must be a list of 4 numbers [x, y, width, height], got [1, 2, 3]",
        ),
        ({**GOOD, "bbox": "1 2 3 4"}, "record 2: 'bbox' must be a list of 4 numbers"),
        ({**GOOD, "bbox": [1, 2, "3", 4]}, "record 2: 'bbox' must hold 4 finite numbers, got [1, 2, '3', 4]"),
        ({**GOOD, "image_id": 42.5}, "record 2: 'image_id' must be an integer, got image_id=42.5"),
        ([42, 18, [1, 2, 3, 4], 0.9], "record 2: must be an object {image_id, category_id, bbox, score}, got [42, 18"),
    ],
    ids=[
        "missing",
        "string-score",
        "null-score",
        "string-id",
        "list-category",
        "bbox-3",
        "bbox-string",
        "bbox-string-item",
        "fractional-id",
        "not-object",
    ],
)
def test_a_bad_record_is_named_with_what_was_expected(tmp_path, gt, record, expected):
    for ground_truth in (gt, None):
        error = problems(tmp_path, [GOOD, record, GOOD], ground_truth)
        assert lines(error)[0].startswith(f"results.json, {expected}"), lines(error)
        assert all(line.startswith("results.json, record 2: ") for line in lines(error))


def test_many_kinds_of_problems_are_listed_together(tmp_path):
    records = [GOOD, {**GOOD, "bbox": [1, 2, 3]}, {"score": 1}, GOOD, {**GOOD, "score": "x"}]
    assert lines(problems(tmp_path, records)) == [
        "results.json, record 2: 'bbox' must be a list of 4 numbers [x, y, width, height], got [1, 2, 3]",
        "results.json, record 3: missing field(s) image_id, category_id, bbox",
        "results.json, record 5: 'score' must be a finite number, got 'x'",
    ]


def test_unknown_image_and_category_ids_against_the_ground_truth(tmp_path, gt):
    records = [GOOD, {**GOOD, "image_id": 7}, {**GOOD, "category_id": 99}, {**GOOD, "category_id": 3}]
    assert lines(problems(tmp_path, records, gt)) == [
        "results.json, record 2: image_id 7 is not an image of this split (2 images, see images.json)",
        "results.json, record 3: category_id 99 is not a category of this benchmark (category ids: 1, 3, 18, see categories.json)",
    ]


def test_without_ground_truth_only_the_structure_is_checked(tmp_path):
    records = [GOOD, {**GOOD, "image_id": 7}, {**GOOD, "category_id": 99}]
    results = coco.load_results(write(tmp_path, records), None)
    assert results.image_id.tolist() == [42, 7, 42] and results.category_id.tolist() == [18, 18, 99]
    error = problems(tmp_path, [*records, {**GOOD, "bbox": [1, 2, 3]}])
    assert lines(error) == [
        "results.json, record 4: 'bbox' must be a list of 4 numbers [x, y, width, height], got [1, 2, 3]"
    ]


@pytest.mark.parametrize(
    ("bad", "use_gt", "message"),
    [
        ({**GOOD, "score": "x"}, False, "'score' must be a finite number"),
        ({**GOOD, "bbox": [1, 2, 3]}, False, "'bbox' must be a list of 4 numbers"),
        ({**GOOD, "bbox": [1, 2, "w", 4]}, False, "'bbox' must hold 4 finite numbers"),
        ({**GOOD, "image_id": 7}, True, "image_id 7 is not an image of this split"),
    ],
    ids=["string-score", "short-bbox", "string-width", "unknown-image"],
)
def test_more_than_twenty_problems_list_twenty_and_say_so(tmp_path, gt, bad, use_gt, message):
    error = problems(tmp_path, [GOOD] + [bad] * 30, gt if use_gt else None)
    assert len(error.problems) == MAX_PROBLEMS
    assert lines(error)[0].startswith("results.json, record 2: ")
    assert lines(error)[-1].startswith("results.json, record 21: ")
    assert all(message in line for line in lines(error))
    assert error.truncated
    assert str(error).endswith(f"(only the first {MAX_PROBLEMS} problems are listed)")


@pytest.mark.parametrize("field", ["score", "category_id"])
def test_booleans_are_not_numbers(tmp_path, gt, field):
    problems(tmp_path, [GOOD, {**GOOD, field: True}], gt)


def test_a_boolean_inside_a_bbox_is_not_a_number(tmp_path, gt):
    problems(tmp_path, [GOOD, {**GOOD, "bbox": [1, 2, True, 4]}], gt)


def test_duplicate_annotation_ids_in_ground_truth_are_refused(tmp_path):
    from evaluator.formats import coco as coco_format

    data = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0},
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [50, 50, 10, 10], "area": 100, "iscrowd": 0},
        ],
    }
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(data))
    with pytest.raises(
        InvalidInput, match=r"instances.json, annotations record 2: annotation id 1 appears more than once"
    ):
        coco_format.load_ground_truth(path)


def test_a_fractional_id_is_reported_once(tmp_path, gt):
    assert len(problems(tmp_path, [GOOD, {**GOOD, "image_id": 42.5}], gt).problems) == 1


# --------------------------------------------------------------------------- command line


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluator", "--protocol", "coco", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_prints_the_stats_as_json():
    done = run_cli("--ground-truth", str(shared_file(GT_FILE)), "--results", str(shared_file(RESULTS_FILE)), "--json")
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["protocol"] == "coco" and output["primary"] == "AP" and output["higher_is_better"] is True
    assert list(output["stats"]) == list(coco.STAT_NAMES)
    for name, expected in zip(coco.STAT_NAMES, OFFICIAL, strict=True):
        assert abs(output["stats"][name] - expected) <= 1e-12, name
    assert len(output["per_class"]) == 80 and "curves" not in output


def test_cli_reports_a_bad_upload_on_stderr_and_exits_2(tmp_path):
    results = write(tmp_path, [GOOD, {**GOOD, "image_id": 7}, {**GOOD, "bbox": [1, 2, 3]}], name="bad.json")
    done = run_cli("--ground-truth", str(shared_file(GT_FILE)), "--results", str(results), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: bad.json, record 3: 'bbox' must be a list of 4 numbers")
    assert "Traceback" not in done.stderr


def test_cli_reports_unknown_ids_and_a_missing_file(tmp_path):
    results = write(tmp_path, [GOOD, {**GOOD, "image_id": 7}], name="bad.json")
    done = run_cli("--ground-truth", str(shared_file(GT_FILE)), "--results", str(results))
    assert done.returncode == 2
    assert "bad.json, record 2: image_id 7 is not an image of this split" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli("--ground-truth", str(shared_file(GT_FILE)), "--results", str(tmp_path / "absent.json"))
    assert done.returncode == 2 and "absent.json: does not exist" in done.stderr and "Traceback" not in done.stderr


def test_cli_piped_into_a_reader_that_stops_early_ends_quietly():
    command = [sys.executable, "-m", "evaluator", "--protocol", "coco", "--json", "--curves"]
    command += ["--ground-truth", str(shared_file(GT_FILE)), "--results", str(shared_file(RESULTS_FILE))]
    with subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as cli:
        assert cli.stdout is not None and cli.stderr is not None
        assert cli.stdout.read(10) == b'{\n  "proto'  # then the reader goes away, as `| head -c 10` does
        cli.stdout.close()
        errors = cli.stderr.read().decode()
        assert cli.wait(timeout=300) == 141, errors
    assert errors == ""
