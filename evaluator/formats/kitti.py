"""KITTI 2D object labels (ground truth) and per-image result files (detections).

Both use the devkit's text format, one object a line, fields separated by spaces::

    type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry [score]

Ground truth has 15 fields, results 16 (the score last). Image ids are the file
stems as strings (``"000123"``).

- Ground truth: a folder or archive holding ``label_2/<id>.txt`` (for example the
  official ``data_object_label_2.zip`` with ``training/label_2/``); a folder named
  ``label_2`` itself, or an archive of bare ``<digits>.txt`` files, works too. The
  split is every label file, or the ids of an image list: the ``image_ids`` argument
  (ids, or the path of a list file), else the one other ``.txt`` file of the input
  (such as ``val.txt`` beside ``label_2/``), one id a line.
- Results: a folder or archive of ``<id>.txt`` files, in any sub-folder. An image of
  the split without a file has no detections; a file for an image outside the split
  is an error. Lines of any object type are kept, as the devkit reads them: only
  Car, Pedestrian and Cyclist are scored, but the devkit lets small boxes of any
  type take part as ignored detections.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

import numpy as np

from ..errors import MAX_PROBLEMS, InvalidInput, ProblemCollector
from ..io import Member, read_members
from ._common import frozen, member_label, short

RESULT_FORMATS = ("kitti-txt",)
CLASSES = ("Car", "Pedestrian", "Cyclist")
GT_FIELDS = 15
RESULT_FIELDS = 16
LABEL_FOLDER = "label_2"
FIELD_NAMES = (
    "type",
    "truncated",
    "occluded",
    "alpha",
    "x1",
    "y1",
    "x2",
    "y2",
    "h",
    "w",
    "l",
    "x",
    "y",
    "z",
    "ry",
    "score",
)


@dataclass(frozen=True, eq=False)
class KittiGroundTruth:
    """A KITTI split in columns (read-only arrays).

    Images (I, ascending id): ``image_ids`` (str array). Objects (N, by image then
    line): ``box_image`` int64 index into ``image_ids``, ``type_name`` (str array,
    as written: Car, Van, DontCare ...), ``truncation`` float64, ``occlusion`` int64,
    ``alpha`` float64, ``xyxy`` float64 [N x 4] pixels, ``dimensions`` [N x 3]
    (h, w, l), ``location`` [N x 3], ``rotation_y``.
    """

    source: str
    image_ids: np.ndarray
    box_image: np.ndarray
    type_name: np.ndarray
    truncation: np.ndarray
    occlusion: np.ndarray
    alpha: np.ndarray
    xyxy: np.ndarray
    dimensions: np.ndarray
    location: np.ndarray
    rotation_y: np.ndarray

    @property
    def num_images(self) -> int:
        return len(self.image_ids)

    def __len__(self) -> int:
        return len(self.box_image)

    @cached_property
    def image_index(self) -> dict[str, int]:
        return {str(i): n for n, i in enumerate(self.image_ids)}


@dataclass(frozen=True, eq=False)
class KittiResults:
    """Detections (D, by file then line): ``image_id`` (str array, the file stem),
    ``category_name`` (str array, the line's type), ``xyxy`` float64 [D x 4], ``score``, ``alpha``;
    ``files`` the ids that had a file (possibly empty), sorted."""

    source: str
    files: tuple[str, ...]
    image_id: np.ndarray
    category_name: np.ndarray
    xyxy: np.ndarray
    score: np.ndarray
    alpha: np.ndarray

    def __len__(self) -> int:
        return len(self.image_id)


def _is_txt(member: Member) -> bool:
    return member.name.lower().endswith(".txt")


# --------------------------------------------------------------------------- line parsing


def _parse_files(
    path: Path, members: list[Member], fields: int, problems: ProblemCollector
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Types, numbers [L x fields-1] and the index in ``members`` of the file of each line, over all the files."""
    types: list[str] = []
    rows: list[np.ndarray] = [np.zeros((0, fields - 1))]
    owner: list[int] = []
    for index, member in enumerate(members):
        label = member_label(path, member)
        file_types, file_rows = _parse_file(label, member.text(label), fields, problems)
        types.extend(file_types)
        rows.append(file_rows)
        owner.extend([index] * len(file_rows))
        if problems.full:
            break
    problems.raise_if_any()
    return types, np.concatenate(rows), np.array(owner, dtype=np.int64)


def _parse_file(label: str, text: str, fields: int, problems: ProblemCollector) -> tuple[list[str], np.ndarray]:
    """Types and numbers [L x fields-1] of the non-blank lines of one file; bad lines are reported."""
    split = [line.split() for line in text.splitlines()]
    rows = [parts for parts in split if parts]
    if all(len(parts) == fields for parts in rows):
        try:
            values = np.array([parts[1:] for parts in rows], dtype=np.float64).reshape(len(rows), fields - 1)
        except ValueError:
            values = None
        if values is not None and _well_formed(values, fields):
            return [parts[0] for parts in rows], values
    types, slow = _parse_lines(label, split, fields, problems)
    return types, np.array(slow, dtype=np.float64).reshape(len(slow), fields - 1)


def _well_formed(values: np.ndarray, fields: int) -> bool:
    ok = np.isfinite(values).all() and bool(
        np.all(values[:, 5] >= values[:, 3]) and np.all(values[:, 6] >= values[:, 4])
    )
    if fields == GT_FIELDS:
        ok = ok and bool(np.all(values[:, 1] == np.round(values[:, 1])) and np.all(np.abs(values[:, 1]) < 2**31))
    return bool(ok)


def _parse_lines(
    label: str, split: list[list[str]], fields: int, problems: ProblemCollector
) -> tuple[list[str], list[list[float]]]:
    types: list[str] = []
    rows: list[list[float]] = []
    for number, parts in enumerate(split, start=1):
        if not parts:
            continue
        if problems.full:
            break
        where = f"line {number}"
        if len(parts) != fields:
            if fields == RESULT_FIELDS and len(parts) == GT_FIELDS:
                message = "has 15 fields but no score; expected 16: " + " ".join(FIELD_NAMES)
            else:
                message = f"has {len(parts)} fields; expected {fields}: " + " ".join(FIELD_NAMES[:fields])
            problems.add_in(label, where, message)
            continue
        try:
            values = [float(p) for p in parts[1:]]
        except ValueError:
            bad = next(i for i, p in enumerate(parts[1:], start=1) if not _is_float(p))
            problems.add_in(
                label, where, f"field {bad + 1} ({FIELD_NAMES[bad]}) is {short(parts[bad])}; expected a number"
            )
            continue
        bad_value = next((i for i, v in enumerate(values, start=1) if not math.isfinite(v)), None)
        if bad_value is not None:
            name = FIELD_NAMES[bad_value]
            problems.add_in(
                label, where, f"field {bad_value + 1} ({name}) is {parts[bad_value]}; expected a finite number"
            )
            continue
        x1, y1, x2, y2 = values[3:7]
        # Detections with inverted corners are scored as evaluate_object.cpp does (no overlap).
        if fields == GT_FIELDS and (x2 < x1 or y2 < y1):
            problems.add_in(
                label, where, f"box x1={parts[4]} y1={parts[5]} x2={parts[6]} y2={parts[7]} has x2 < x1 or y2 < y1"
            )
            continue
        if fields == GT_FIELDS and not (values[1].is_integer() and abs(values[1]) < 2**31):
            problems.add_in(label, where, f"field 3 (occluded) is {parts[2]}; expected an integer (0, 1, 2, 3 or -1)")
            continue
        types.append(parts[0])
        rows.append(values)
    return types, rows


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- ground truth


def _label_members(path: Path, members: list[Member]) -> tuple[list[Member], list[Member]]:
    """(label files, other .txt files) of a ground-truth input."""
    txt = [m for m in members if _is_txt(m)]
    labels = [m for m in txt if PurePosixPath(m.name).parent.name == LABEL_FOLDER]
    if not labels and path.is_dir() and path.name == LABEL_FOLDER:
        labels = [m for m in txt if "/" not in m.name]
    if not labels:
        labels = [m for m in txt if m.stem.isdigit()]
    chosen = {id(m) for m in labels}
    return labels, [m for m in txt if id(m) not in chosen]


def _read_id_list(label: str, text: str, problems: ProblemCollector) -> list[str]:
    ids = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 1:
            problems.add_in(label, f"line {number}", f"has {len(parts)} fields; expected one image id a line")
            continue
        ids.append(parts[0])
    return ids


def _requested_ids(
    path: Path, image_ids: Iterable[str | int] | str | Path | None, others: list[Member], problems: ProblemCollector
) -> list[str] | None:
    if isinstance(image_ids, (str, Path)):
        list_path = Path(image_ids)
        if not list_path.is_file():
            raise InvalidInput.single(list_path.name, "does not exist; expected an image list, one id a line")
        member = Member(list_path.name, list_path.read_bytes())
        return _read_id_list(list_path.name, member.text(list_path.name), problems)
    if image_ids is not None:
        return [f"{i:06d}" if isinstance(i, int) else str(i) for i in image_ids]
    if len(others) > 1:
        names = ", ".join(m.name for m in others[:5])
        raise InvalidInput.single(
            path.name,
            f"holds several image lists beside {LABEL_FOLDER}/ ({names}); keep only the split's list, one id a line",
        )
    if others:
        label = member_label(path, others[0])
        return _read_id_list(label, others[0].text(label), problems)
    return None


def load_ground_truth(path: str | Path, image_ids: Iterable[str | int] | str | Path | None = None) -> KittiGroundTruth:
    """Read ``label_2/<id>.txt`` files; ``image_ids`` (ids or a list file) picks the split."""
    path = Path(path)
    members = read_members(path)
    labels, others = _label_members(path, members)
    if not labels:
        raise InvalidInput.single(
            path.name, f"holds no label files; expected {LABEL_FOLDER}/<image id>.txt files in the KITTI label format"
        )
    problems = ProblemCollector(path.name)
    by_id: dict[str, Member] = {}
    for member in labels:
        if member.stem in by_id:
            problems.add_in(
                member_label(path, member), "", f"image {member.stem} also has {by_id[member.stem].name}; expected one"
            )
        by_id[member.stem] = member
    wanted = _requested_ids(path, image_ids, others, problems)
    problems.raise_if_any()
    if wanted is None:
        ids = sorted(by_id)
    else:
        ids = sorted(set(wanted))
        missing = [i for i in ids if i not in by_id]
        for i in missing[:MAX_PROBLEMS]:
            problems.add_in(path.name, "", f"image {i} of the image list has no {LABEL_FOLDER}/{i}.txt label file")
        problems.count += max(0, len(missing) - MAX_PROBLEMS)
        problems.raise_if_any()
    types, values, box_image = _parse_files(path, [by_id[i] for i in ids], GT_FIELDS, problems)
    return KittiGroundTruth(
        source=path.name,
        image_ids=frozen(np.array(ids, dtype=str)),
        box_image=frozen(box_image),
        type_name=frozen(np.array(types, dtype=str)),
        truncation=frozen(values[:, 0].copy()),
        occlusion=frozen(values[:, 1].astype(np.int64)),
        alpha=frozen(values[:, 2].copy()),
        xyxy=frozen(values[:, 3:7].copy()),
        dimensions=frozen(values[:, 7:10].copy()),
        location=frozen(values[:, 10:13].copy()),
        rotation_y=frozen(values[:, 13].copy()),
    )


# --------------------------------------------------------------------------- results


def load_results(path: str | Path, gt: KittiGroundTruth | None) -> KittiResults:
    """Read ``<image id>.txt`` files of 16-field lines. Without ``gt``, structure only."""
    path = Path(path)
    members = [m for m in read_members(path) if _is_txt(m)]
    if not members:
        raise InvalidInput.single(
            path.name, "holds no .txt files; expected one <image id>.txt file per image (e.g. 000123.txt)"
        )
    problems = ProblemCollector(path.name)
    seen: dict[str, str] = {}
    for member in members:
        label = member_label(path, member)
        if member.stem in seen:
            problems.add_in(label, "", f"image {member.stem} also has the file {seen[member.stem]}; expected one file")
        elif gt is not None and member.stem not in gt.image_index:
            problems.add_in(
                label,
                "",
                f"{member.stem} is not an image of this split; expected files named <image id>.txt (e.g. "
                f"{gt.image_ids[0] if len(gt.image_ids) else '000123'}.txt) for the split's images only",
            )
        seen.setdefault(member.stem, member.name)
    problems.raise_if_any()
    types, values, file_index = _parse_files(path, members, RESULT_FIELDS, problems)
    return KittiResults(
        source=path.name,
        files=tuple(sorted(seen)),
        image_id=frozen(np.array([m.stem for m in members], dtype=str)[file_index]),
        category_name=frozen(np.array(types, dtype=str)),
        alpha=frozen(values[:, 2].copy()),
        xyxy=frozen(values[:, 3:7].copy()),
        score=frozen(values[:, 14].copy()),
    )
