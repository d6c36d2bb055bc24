"""Reads: a track's starter kit, built from its splits' kits (images and categories, never boxes)."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

import evaluator.io
import evaluator.kit

from . import ground_truth, scoring
from .models import Track

logger = logging.getLogger(__name__)
_zips: dict[tuple, bytes] = {}
_lock = threading.Lock()
MAX_CACHED = 16


def _parts(track: Track) -> list[tuple[str, object, dict]]:
    if not track.is_transfer:
        return [("", track.split, {})]
    return [(d.name, d.split, d.label_map or {}) for d in track.domains.select_related("split__benchmark")]


def track_kit(track: Track) -> evaluator.kit.Kit:
    parts = [(name, ground_truth.split_kit(split), label_map) for name, split, label_map in _parts(track)]
    return evaluator.kit.track_kit(track.slug, parts, transfer=track.is_transfer)


def track_kit_zip(track: Track) -> bytes:
    """The kit zip participants download; kept in memory while the splits and label maps are unchanged."""
    key = (
        track.slug,
        track.kind,
        tuple(
            (name, split.checksum, json.dumps(label_map, sort_keys=True)) for name, split, label_map in _parts(track)
        ),
    )
    with _lock:
        if key in _zips:
            return _zips[key]
    data = evaluator.kit.write_zip(track_kit(track))
    with _lock:
        if len(_zips) >= MAX_CACHED:
            _zips.pop(next(iter(_zips)))
        _zips[key] = data
    return data


@contextmanager
def unpack_limits() -> Iterator[None]:
    """Reads of uploads in this block unpack at most ``MAX_UNPACKED_MB`` in all."""
    cap = settings.MAX_UNPACKED_MB * 1024 * 1024
    limits = evaluator.io.DEFAULT_LIMITS
    with evaluator.io.limits_applied(
        replace(limits, max_total_bytes=cap, max_member_bytes=min(limits.max_member_bytes, cap))
    ):
        yield


def upload_check(*, track: Track, upload: UploadedFile) -> list[str]:
    """The check before queueing, on a copy of the upload: exactly what ``python -m evaluator check`` runs.

    Returns its warnings (degenerate boxes, scored as the official tools score them); raises
    evaluator.InvalidInput naming the upload as the participant named it.
    """
    name = PurePath(upload.name or "").name or "upload"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        with path.open("wb") as copy:
            for chunk in upload.chunks():
                copy.write(chunk)
        upload.seek(0)
        try:
            kit = track_kit(track)
        except ground_truth.GroundTruthMissing:
            # A host must restore the split; meanwhile the structural check still runs.
            logger.exception("track %s: no kit, checking the upload's structure only", track.slug)
            with unpack_limits():
                scoring.check_upload(track, path)
            return []
        with unpack_limits():
            return evaluator.kit.check(kit, path)
