"""The documented, seeded rule that splits a ground-truth set into public and private images.

An image is public when the first 8 bytes of ``sha256(f"{seed}:{image_id}")``, read
as a big-endian integer, fall below ``fraction`` of the 64-bit range. The rule needs
no state, gives the same answer on every machine and for every order of images, and
is stable when images are added to a split: an image never changes side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_RANGE = 2**64


def is_public(image_id: int | str, *, seed: str, fraction: float) -> bool:
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    digest = hashlib.sha256(f"{seed}:{image_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < fraction * _RANGE


def public_image_ids(image_ids: Iterable[int | str], *, seed: str, fraction: float) -> list[int | str]:
    """The public part of ``image_ids``, in their given order."""
    return [image_id for image_id in image_ids if is_public(image_id, seed=seed, fraction=fraction)]
