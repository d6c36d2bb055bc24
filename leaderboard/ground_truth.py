"""The only code that resolves hidden ground-truth paths, and a per-process cache.

Ground truth lives under GROUND_TRUTH_ROOT, outside media and static files: no URL
serves it. Workers load each split once and keep it while its checksum holds.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

import evaluator
import evaluator.kit
import evaluator.subsets

from .models import Split

_cache: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()
MAX_CACHED = 8


class GroundTruthMissing(Exception):
    """The split's file is absent or escapes GROUND_TRUTH_ROOT: a host must fix it."""


def root() -> Path:
    return Path(settings.GROUND_TRUTH_ROOT).resolve()


def path_for(split: Split) -> Path:
    base = root()
    path = (base / split.ground_truth_path).resolve()
    if not path.is_relative_to(base):
        raise GroundTruthMissing(f"split {split.pk} points outside GROUND_TRUTH_ROOT")
    if not path.exists():
        raise GroundTruthMissing(f"ground truth of split {split.pk} is missing")
    return path


def file_checksum(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and contents, sorted)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load(split: Split) -> Any:
    """The split's parsed ground truth, from the cache when its checksum is unchanged."""
    key = (split.ground_truth_path, split.checksum)
    with _lock:
        if key in _cache:
            return _cache[key]
    gt = evaluator.load_ground_truth(path_for(split), protocol=split.benchmark.protocol)
    with _lock:
        if len(_cache) >= MAX_CACHED:
            _cache.pop(next(iter(_cache)))
        _cache[key] = gt
    return gt


def public_image_ids(split: Split, gt: Any) -> list[int | str]:
    ids = evaluator.image_ids(gt, protocol=split.benchmark.protocol)
    return evaluator.subsets.public_image_ids(ids, seed=split.public_seed, fraction=split.public_fraction)


KIT_FILE = "starter-kit.json"


def kit_path(split: Split) -> Path:
    """The split's kit (images and categories, no boxes), kept beside its ground truth."""
    return root() / Path(split.ground_truth_path).parent / KIT_FILE


def kit_write(split: Split, gt: Any) -> evaluator.kit.DomainKit:
    kit = evaluator.kit.split_kit(gt, protocol=split.benchmark.protocol)
    path = kit_path(split)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(evaluator.kit.domain_kit_to_json(kit, checksum=split.checksum))
    return kit


def split_kit(split: Split) -> evaluator.kit.DomainKit:
    """The kit built at import; built again from the ground truth when absent or outdated."""
    path = kit_path(split)
    if path.exists():
        kit, checksum = evaluator.kit.domain_kit_from_json(path.read_bytes())
        if checksum == split.checksum:
            return kit
    return kit_write(split, load(split))
