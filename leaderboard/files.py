"""Files through Django's storage API: local folders on one machine, an S3 bucket on several."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.core.files.storage import Storage


def local_path(storage: Storage, name: str) -> Path | None:
    """Where the file already is on this machine, or None for a remote storage."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None


def download(storage: Storage, name: str, target: Path) -> Path:
    """Copy ``name`` (a file, or a folder of files) from the storage to ``target``; returns ``target``."""
    if storage.exists(name):
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
        return target
    folders, files = storage.listdir(name)
    if not folders and not files:
        raise FileNotFoundError(name)
    target.mkdir(parents=True, exist_ok=True)
    for file in files:
        download(storage, f"{name}/{file}", target / file)
    for folder in folders:
        download(storage, f"{name}/{folder}", target / folder)
    return target


@contextmanager
def local_copy(storage: Storage, name: str) -> Iterator[Path]:
    """A path to read ``name`` from: the file itself when local, else a temporary copy with its name
    (engines tell formats by the extension)."""
    path = local_path(storage, name)
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="lb-") as tmp:
        yield download(storage, name, Path(tmp) / PurePosixPath(name).name)


def upload(storage: Storage, source: Path, name: str) -> None:
    """Store ``source`` (a file or a folder) under ``name``, replacing what was there."""
    if source.is_dir():
        for file in sorted(p for p in source.rglob("*") if p.is_file()):
            upload(storage, file, f"{name}/{file.relative_to(source).as_posix()}")
        return
    if storage.exists(name):
        storage.delete(name)
    with source.open("rb") as handle:
        saved = storage.save(name, handle)
    if saved != name:
        raise OSError(f"storage saved {name} as {saved}")
