"""The upload of a transfer-track submission: one archive, one results file per cell.

Layout: ``stage<i>/<domain>.<ext>`` (or a folder ``stage<i>/<domain>/`` for formats
that are themselves several files, such as KITTI's per-image labels), where ``i``
counts from 1 (the source-only model) to N (the model after the last domain) and
``domain`` is one of the track's domain names. One enclosing folder is allowed.
Stages 1 and N are required on every domain; the other rows are optional and unlock
BWT and FWT.

An optional ``efficiency.json`` beside the stage folders holds the self-reported
figures per stage, each a list of N numbers (or nulls)::

    {"parameters_millions": [41.3, 41.3, 41.3], "replay_samples": [0, 500, 500],
     "gpu_hours": [12.0, 1.5, 1.5], "training_images": 70000}

``training_images`` (one number: the size of the training data, for SSS) is optional too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from .errors import InvalidInput, Problem, ProblemCollector
from .io import Member, loads_lenient, read_members

STAGE = re.compile(r"^stage([0-9]{1,6})$")
EFFICIENCY_FILE = "efficiency.json"
EFFICIENCY_KEYS = ("parameters_millions", "replay_samples", "gpu_hours", "training_images")


@dataclass(frozen=True)
class Cell:
    """The results of the model after ``stage`` on ``domain``: a file or a folder of files."""

    stage: int
    domain: str
    name: str  # "stage1/day.json" or "stage1/day/" as written in the archive
    members: tuple[Member, ...]
    is_folder: bool

    def write(self, folder: Path) -> Path:
        """Write the cell under ``folder`` and return the path a protocol's ``load_results`` reads."""
        base = folder / f"stage{self.stage}"
        if not self.is_folder:
            target = base / PurePosixPath(self.name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.members[0].data)
            return target
        root = base / self.domain
        for member in self.members:
            relative = PurePosixPath(member.name).relative_to(PurePosixPath(self.name))
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.data)
        return root


def _strip_enclosing_folder(members: list[Member]) -> list[Member]:
    tops = {PurePosixPath(m.name).parts[0] for m in members}
    if (
        len(tops) == 1
        and not STAGE.match(next(iter(tops)))
        and all(len(PurePosixPath(m.name).parts) > 1 for m in members)
    ):
        return [replace(m, name=str(PurePosixPath(*PurePosixPath(m.name).parts[1:]))) for m in members]
    return members


@dataclass(frozen=True)
class TransferUpload:
    cells: dict[tuple[int, str], Cell]
    efficiency: dict[str, list[float | None] | float]


def read_upload(path: str | Path, *, domains: Sequence[str]) -> TransferUpload:
    """Split an archive into cells and efficiency figures; raises InvalidInput naming each misplaced member."""
    path = Path(path)
    label = path.name
    n = len(domains)
    members = _strip_enclosing_folder(read_members(path))
    efficiency: dict[str, list[float | None] | float] = {}
    for member in [m for m in members if m.name == EFFICIENCY_FILE]:
        efficiency = _efficiency(f"{label}: {EFFICIENCY_FILE}", member.text(f"{label}: {EFFICIENCY_FILE}"), n)
        members.remove(member)
    if not members:
        raise InvalidInput.single(label, "holds no files; expected stage<i>/<domain> results files")
    expected = f"stage<1..{n}>/<domain>, domain one of {', '.join(domains)}"
    problems = ProblemCollector(label)
    grouped: dict[tuple[int, str], list[Member]] = {}
    folders: dict[tuple[int, str], bool] = {}
    for member in members:
        parts = PurePosixPath(member.name).parts
        stage_match = STAGE.match(parts[0]) if len(parts) >= 2 else None
        if stage_match is None:
            problems.add(f"member {member.name}", f"is not in a stage folder; expected {expected}")
            continue
        stage = int(stage_match.group(1))
        is_folder = len(parts) > 2
        domain = parts[1] if is_folder else PurePosixPath(parts[1]).stem
        if not 1 <= stage <= n:
            problems.add(f"member {member.name}", f"stage {stage} does not exist; this track has stages 1 to {n}")
            continue
        if domain not in domains:
            problems.add(f"member {member.name}", f"unknown domain {domain!r}; expected one of {', '.join(domains)}")
            continue
        key = (stage, domain)
        if key in folders and (folders[key] != is_folder or not is_folder):
            problems.add(f"member {member.name}", f"a second results file for stage{stage}/{domain}; expected one")
            continue
        folders[key] = is_folder
        grouped.setdefault(key, []).append(member)
    for domain in domains:
        for stage in sorted({1, n}):
            if (stage, domain) not in grouped:
                problems.add(
                    "",
                    f"stage{stage}/{domain} is missing: every domain needs the predictions of the source-only "
                    f"model (stage1) and of the final model (stage{n})",
                )
    problems.raise_if_any()
    cells = {}
    for (stage, domain), group in grouped.items():
        name = f"stage{stage}/{domain}/" if folders[(stage, domain)] else group[0].name
        cells[(stage, domain)] = Cell(stage, domain, name, tuple(group), folders[(stage, domain)])
    return TransferUpload(cells=cells, efficiency=efficiency)


def _efficiency(label: str, text: str, n: int) -> dict[str, list[float | None] | float]:
    try:
        data = loads_lenient(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.single(label, f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    problems = ProblemCollector(label)
    if not isinstance(data, dict):
        raise InvalidInput.single(label, f"expected an object with keys {', '.join(EFFICIENCY_KEYS)}")
    figures: dict[str, list[float | None] | float] = {}
    for key, values in data.items():
        if key == "training_images":
            if not _non_negative(values) or values is None or values == 0:
                problems.add(f"key {key!r}", "expected a positive number of images")
            else:
                figures[key] = float(values)
        elif key not in EFFICIENCY_KEYS:
            problems.add(f"key {key!r}", f"unknown; expected one of {', '.join(EFFICIENCY_KEYS)}")
        elif not isinstance(values, list) or len(values) != n:
            problems.add(f"key {key!r}", f"expected a list of {n} numbers, one per stage")
        elif any(not _non_negative(v) for v in values):
            problems.add(f"key {key!r}", "expected non-negative finite numbers or null")
        else:
            figures[key] = [None if v is None else float(v) for v in values]
    problems.raise_if_any()
    return figures


def _non_negative(value: object) -> bool:
    if value is None:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def relabel(error: InvalidInput, archive: str, cell: Cell) -> InvalidInput:
    """The same problems, naming the member of the archive instead of a temporary file."""
    where = f"{archive}: {cell.name.rstrip('/')}"
    problems = [
        Problem(file=f"{where}/{p.file}" if cell.is_folder else where, where=p.where, message=p.message)
        for p in error.problems
    ]
    return InvalidInput(problems, truncated=error.truncated)
