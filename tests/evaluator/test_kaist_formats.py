"""KAIST inputs: the annotation JSON, the 1-based text results, COCO results JSON, errors."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from evaluator.errors import MAX_PROBLEMS, InvalidInput
from evaluator.formats import kaist as kaist_format
from evaluator.protocols import kaist
from tests.evaluator.test_kaist_rules import ON, person, write_gt


@pytest.fixture
def gt(tmp_path):
    """Three images (ids 0..2), one person each."""
    return kaist.load_ground_truth(write_gt(tmp_path, [[person(*ON)], [person(*ON)], [person(*ON)]]))


def load_txt(tmp_path, text, gt):
    path = tmp_path / "r.txt"
    path.write_text(text)
    return kaist.load_results(path, gt)


def problems_of(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# ----------------------------------------------------------------------- text results


def test_text_results_are_one_based(tmp_path, gt):
    results = load_txt(tmp_path, "1,100,100,30,60,0.9\n3,1.5,2.5,3,4,-0.25\n\n", gt)
    assert results.format == "kaist-txt"
    assert results.image_id.tolist() == [0, 2]
    assert results.category_id.tolist() == [gt.person_category_id] * 2
    np.testing.assert_array_equal(results.xywh, [[100, 100, 30, 60], [1.5, 2.5, 3, 4]])
    assert results.score.tolist() == [0.9, -0.25]
    with pytest.raises(ValueError):
        results.score[0] = 1.0  # read-only


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0,100,100,30,60,0.9", "line 2: image id 0 is outside 1..3 (1-based)"),
        ("4,100,100,30,60,0.9", "line 2: image id 4 is outside 1..3 (1-based)"),
        ("1.5,100,100,30,60,0.9", "line 2: image_id must be an integer, got 1.5"),
        ("1,100,100,30,60", "line 2: expected 6 comma-separated values image_id,x,y,w,h,score, got 5"),
        ("1,100,100,30,60,0.9,7", "got 7"),
        ("1 100 100 30 60 0.9", "got 1"),
        ("1,abc,100,30,60,0.9", "line 2: x 'abc' is not a number"),
        ("1,100,100,30,60,nan", "line 2: score must be finite, got nan"),
        ("1,100,inf,30,60,0.9", "line 2: y must be finite, got inf"),
        ("1,100,100,0,60,0.9", "line 2: w and h must be positive, got w=0, h=60"),
        ("1,100,100,30,-2,0.9", "line 2: w and h must be positive, got w=30, h=-2"),
    ],
)
def test_text_errors_name_the_line(tmp_path, gt, line, message):
    with pytest.raises(InvalidInput) as excinfo:
        load_txt(tmp_path, f"1,100,100,30,60,0.9\n{line}\n", gt)
    assert len(excinfo.value.problems) == 1
    assert message in problems_of(excinfo)[0]
    assert problems_of(excinfo)[0].startswith("r.txt, line 2")


def test_up_to_twenty_problems_are_reported(tmp_path, gt):
    text = "".join(f"9,{i},100,30,60,0.9\n" for i in range(30))
    with pytest.raises(InvalidInput) as excinfo:
        load_txt(tmp_path, text, gt)
    assert len(excinfo.value.problems) == MAX_PROBLEMS
    assert excinfo.value.truncated
    assert "only the first 20 problems" in str(excinfo.value)
    assert problems_of(excinfo)[19].startswith("r.txt, line 20:")


def test_without_ground_truth_only_the_structure_is_checked(tmp_path):
    results = load_txt(tmp_path, "2253,100,100,30,60,0.9\n", None)
    assert results.image_id.tolist() == [2252]
    with pytest.raises(InvalidInput, match="line 1: image id 0 must be at least 1"):
        load_txt(tmp_path, "0,100,100,30,60,0.9\n", None)
    with pytest.raises(InvalidInput, match="line 1: w and h must be positive"):
        load_txt(tmp_path, "1,100,100,-1,60,0.9\n", None)
    with pytest.raises(InvalidInput, match="line 1: score must be finite"):
        load_txt(tmp_path, "1,100,100,30,60,inf\n", None)


def test_real_file_is_checked_against_its_image_count(tmp_path):
    from tests.conftest import shared_file

    gt = kaist.load_ground_truth(shared_file("kaist-daynight/KAIST_annotation.json"))
    assert load_txt(tmp_path, "2252,1,1,1,1,0.5\n", gt).image_id.tolist() == [2251]
    with pytest.raises(InvalidInput, match=r"line 1: image id 2253 is outside 1\.\.2252"):
        load_txt(tmp_path, "2253,1,1,1,1,0.5\n", gt)


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_results_are_refused(tmp_path, gt, text):
    with pytest.raises(InvalidInput, match="is empty"):
        load_txt(tmp_path, text, gt)


def test_non_utf8_results_are_refused(tmp_path, gt):
    path = tmp_path / "r.txt"
    path.write_bytes(b"1,100,100,30,60,0.9\xff\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        kaist.load_results(path, gt)


def test_a_one_file_zip_is_read(tmp_path, gt):
    path = tmp_path / "upload.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("dets.txt", "2,100,100,30,60,0.9\n")
    assert kaist.load_results(path, gt).image_id.tolist() == [1]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "2,100,100,30,60,0.9\n")
        archive.writestr("b.txt", "2,100,100,30,60,0.9\n")
    with pytest.raises(InvalidInput, match="expected exactly one results file, found 2"):
        kaist.load_results(path, gt)


# ----------------------------------------------------------------- COCO results JSON


def load_json(tmp_path, records, gt):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(records) if not isinstance(records, str) else records)
    return kaist.load_results(path, gt)


def test_coco_json_results_are_zero_based(tmp_path, gt):
    results = load_json(tmp_path, [{"image_id": 2, "category_id": 1.0, "bbox": [1, 2, 3, 4], "score": 0.5}], gt)
    assert results.format == "coco-json"
    assert results.image_id.tolist() == [2]
    assert results.category_id.tolist() == [1]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"image_id": 3, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}, "image id 3 is outside 0..2"),
        ({"image_id": -1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}, "image id -1 is outside 0..2"),
        ({"image_id": "0", "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}, "'image_id' must be an integer"),
        ({"image_id": 0, "category_id": 7, "bbox": [1, 2, 3, 4], "score": 0.5}, "'category_id' 7 is not a category"),
        ({"image_id": 0, "category_id": 1, "bbox": [1, 2, 3], "score": 0.5}, "'bbox' must be a list of 4 numbers"),
        ({"image_id": 0, "category_id": 1, "bbox": [1, 2, 0, 4], "score": 0.5}, "width and height must be positive"),
        ({"image_id": 0, "category_id": 1, "bbox": [1, 2, 3, 4], "score": None}, "'score' must be a finite number"),
        ({"image_id": 0, "category_id": 1, "bbox": [1, 2, 3, 4]}, "missing field(s) score"),
        ([0, 1, 2], "must be an object"),
    ],
)
def test_coco_json_errors_name_the_record(tmp_path, gt, record, message):
    good = {"image_id": 0, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}
    with pytest.raises(InvalidInput) as excinfo:
        load_json(tmp_path, [good, record], gt)
    assert problems_of(excinfo) == [f"r.json, record 2: {problems_of(excinfo)[0].split(': ', 1)[1]}"]
    assert message in problems_of(excinfo)[0]


def test_coco_json_nan_is_refused_as_by_the_coco_loader(tmp_path, gt):
    with pytest.raises(InvalidInput, match="r.json: is not valid JSON .*line 1 column 45"):
        load_json(tmp_path, '[{"image_id": 0, "category_id": 1, "bbox": [NaN, 2, 3, 4], "score": 0.5}]', gt)


@pytest.mark.parametrize(
    ("text", "message"),
    [("[]", "holds no detections"), ('{"a": 1}', "must be a JSON list"), ("[{", "is not valid JSON")],
)
def test_coco_json_structure_errors(tmp_path, gt, text, message):
    with pytest.raises(InvalidInput, match=message):
        load_json(tmp_path, text, gt)


# ---------------------------------------------------------------------- ground truth


def test_domains_come_from_the_set_names_or_an_explicit_field():
    assert kaist_format.image_domain({"im_name": "set06/V000/I00019"}) == "day"
    assert kaist_format.image_domain({"im_name": "set11/V001/I00019"}) == "night"
    assert kaist_format.image_domain({"im_name": "set02/V000/I00019"}) == "day"
    assert kaist_format.image_domain({"im_name": "set04/V000/I00019"}) == "night"
    assert kaist_format.image_domain({"im_name": "set09/V000/I00019", "domain": "Day"}) == "day"
    assert kaist_format.image_domain({"im_name": "set12/V000/I00019"}) is None
    assert kaist_format.image_domain({"file_name": "I00019.png"}) is None


def test_ground_truth_errors_are_collected(tmp_path):
    path = write_gt(tmp_path, [[person(*ON)]])
    data = json.loads(path.read_text())
    data["images"].append({"id": 1, "im_name": "somewhere/I00001"})
    data["annotations"] += [
        {"id": 5, "image_id": 7, "category_id": 1, **person(*ON)},
        {"id": 6, "image_id": 0, "category_id": 1, **person(1, 2, 3, 4), "occlusion": "partial"},
        {"id": 7, "image_id": 0, "category_id": 1, "bbox": [1, 2, 3, 4], "occlusion": 0},
    ]
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput) as excinfo:
        kaist.load_ground_truth(path)
    found = problems_of(excinfo)
    assert any("image 1: cannot tell day from night" in p for p in found)
    assert len(found) == 1  # images are checked before annotations
    data["images"][1]["domain"] = "night"
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput) as excinfo:
        kaist.load_ground_truth(path)
    found = problems_of(excinfo)
    assert "gt.json, annotations record 2 (id 5): 'image_id' 7 is not an image of the file" in found
    assert any("(id 6): 'occlusion' must be an integer" in p for p in found)
    assert any("(id 7): 'height' must be a finite number" in p for p in found)


def test_ground_truth_needs_a_person_category(tmp_path):
    path = write_gt(tmp_path, [[]])
    data = json.loads(path.read_text())
    data["categories"] = [{"id": 1, "name": "pedestrian"}]
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput, match="exactly one category named 'person'"):
        kaist.load_ground_truth(path)


def test_ground_truth_is_not_mutable(tmp_path, gt):
    with pytest.raises(ValueError):
        gt.ignore[0] = True
    assert gt.contiguous_ids()
    assert gt.positions(np.array([2, 5, -1])).tolist() == [2, -1, -1]
