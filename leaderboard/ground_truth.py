"""The only code that resolves hidden ground-truth paths, and a per-process cache.

Ground truth lives in its own storage (GROUND_TRUTH_ROOT, or a private bucket), outside media
and static files: no URL serves it. Workers load each split once and keep it while its checksum holds.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

import evaluator
import evaluator.kit
import evaluator.subsets

from . import files
from .models import Split

_cache: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()
MAX_CACHED = 8


class GroundTruthMissing(Exception):
    """The split's file is absent or escapes GROUND_TRUTH_ROOT: a host must fix it."""


class GroundTruthStorage(FileSystemStorage):
    """The default: GROUND_TRUTH_ROOT on this machine (read from the settings at each use)."""

    @property
    def base_location(self) -> str:
        return str(settings.GROUND_TRUTH_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def storage() -> Storage:
    """Where ground truth is kept: STORAGES["ground_truth"] (a private bucket on several machines)."""
    return storages["ground_truth"]


def root() -> Path:
    return Path(settings.GROUND_TRUTH_ROOT).resolve()


@contextmanager
def local_file(split: Split) -> Iterator[Path]:
    """A path to read the split's ground truth from: the file itself, or a copy of the remote one."""
    store = storage()
    if files.local_path(store, split.ground_truth_path) is not None:
        yield path_for(split)
        return
    with tempfile.TemporaryDirectory(prefix="lb-gt-") as tmp:
        try:
            path = files.download(
                store, split.ground_truth_path, Path(tmp) / PurePosixPath(split.ground_truth_path).name
            )
        except FileNotFoundError:
            raise GroundTruthMissing(f"ground truth of split {split.pk} is missing") from None
        yield path


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
    with local_file(split) as path:
        gt = evaluator.load_ground_truth(path, protocol=split.benchmark.protocol)
    with _lock:
        if len(_cache) >= MAX_CACHED:
            _cache.pop(next(iter(_cache)))
        _cache[key] = gt
    return gt


def public_image_ids(split: Split, gt: Any) -> list[int | str]:
    ids = evaluator.image_ids(gt, protocol=split.benchmark.protocol)
    return evaluator.subsets.public_image_ids(ids, seed=split.public_seed, fraction=split.public_fraction)


KIT_FILE = "starter-kit.json"


def kit_name(split: Split) -> str:
    """The split's kit (images and categories, no boxes), kept beside its ground truth."""
    return (PurePosixPath(split.ground_truth_path).parent / KIT_FILE).as_posix()


def kit_write(split: Split, gt: Any) -> evaluator.kit.DomainKit:
    kit = evaluator.kit.split_kit(gt, protocol=split.benchmark.protocol)
    store, name = storage(), kit_name(split)
    if store.exists(name):
        store.delete(name)
    store.save(name, ContentFile(evaluator.kit.domain_kit_to_json(kit, checksum=split.checksum)))
    return kit


def split_kit(split: Split) -> evaluator.kit.DomainKit:
    """The kit built at import; built again from the ground truth when absent or outdated."""
    store, name = storage(), kit_name(split)
    if store.exists(name):
        with store.open(name, "rb") as handle:
            kit, checksum = evaluator.kit.domain_kit_from_json(handle.read())
        if checksum == split.checksum:
            return kit
    return kit_write(split, load(split))


def stored(name: str) -> bool:
    """Whether ground truth (a file, or a folder of files) is kept under ``name``."""
    store = storage()
    if store.exists(name):
        return True
    try:
        folders, names = store.listdir(name)
    except FileNotFoundError:
        return False
    return bool(folders or names)
