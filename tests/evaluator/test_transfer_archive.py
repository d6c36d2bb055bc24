"""Reading transfer submissions: stage/domain cells, folders, efficiency figures and errors."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from evaluator import InvalidInput
from evaluator.transfer_archive import read_upload

DOMAINS = ("day", "night")


def write_zip(tmp_path: Path, files: dict[str, str], name: str = "sub.zip") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, text in files.items():
            zf.writestr(member, text)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def test_cells_from_files_and_folders_under_an_enclosing_folder(tmp_path):
    path = write_zip(
        tmp_path,
        {
            "my-method/stage1/day.json": "[]",
            "my-method/stage1/night.json": "[]",
            "my-method/stage2/day/000001.txt": "Car 0 0 0 1 2 3 4 0 0 0 0 0 0 0 0.9",
            "my-method/stage2/day/000002.txt": "",
            "my-method/stage2/night.json": "[]",
            "my-method/efficiency.json": json.dumps({"parameters_millions": [10, 12], "training_images": 5000}),
        },
    )
    upload = read_upload(path, domains=DOMAINS)
    assert set(upload.cells) == {(1, "day"), (1, "night"), (2, "day"), (2, "night")}
    folder = upload.cells[(2, "day")]
    assert folder.is_folder and len(folder.members) == 2
    written = folder.write(tmp_path / "out")
    assert sorted(p.name for p in written.iterdir()) == ["000001.txt", "000002.txt"]
    assert upload.cells[(1, "day")].write(tmp_path / "out").read_text() == "[]"
    assert upload.efficiency == {"parameters_millions": [10.0, 12.0], "training_images": 5000.0}


def test_every_problem_is_listed_with_its_member(tmp_path):
    path = write_zip(
        tmp_path,
        {
            "stage1/day.json": "[]",
            "stage1/dusk.json": "[]",
            "stage3/night.json": "[]",
            "readme.txt": "hello",
        },
    )
    with pytest.raises(InvalidInput) as error:
        read_upload(path, domains=DOMAINS)
    message = error.value.message
    assert "sub.zip, member stage1/dusk.json: unknown domain 'dusk'" in message
    assert "member stage3/night.json: stage 3 does not exist" in message
    assert "member readme.txt: is not in a stage folder" in message
    assert "stage1/night is missing" in message
    assert "stage2/day is missing" in message


@pytest.mark.parametrize(
    ("efficiency", "expected"),
    [
        ("{", "is not valid JSON"),
        ('{"gpu_hours": [1]}', "expected a list of 2 numbers"),
        ('{"gpu_hours": [1, -2]}', "non-negative"),
        ('{"flops": [1, 2]}', "unknown"),
        ('{"training_images": 0}', "positive number"),
    ],
)
def test_efficiency_figures_are_checked(tmp_path, efficiency, expected):
    files = {f"stage{s}/{d}.json": "[]" for s in (1, 2) for d in DOMAINS}
    path = write_zip(tmp_path, {**files, "efficiency.json": efficiency})
    with pytest.raises(InvalidInput) as error:
        read_upload(path, domains=DOMAINS)
    assert "efficiency.json" in error.value.message
    assert expected in error.value.message


def test_two_files_for_one_cell(tmp_path):
    path = write_zip(
        tmp_path,
        {
            "stage1/day.json": "[]",
            "stage1/day.txt": "",
            "stage1/night.json": "[]",
            "stage2/day.json": "[]",
            "stage2/night.json": "[]",
        },
    )
    with pytest.raises(InvalidInput, match="a second results file for stage1/day"):
        read_upload(path, domains=DOMAINS)
