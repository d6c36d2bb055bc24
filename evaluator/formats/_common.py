"""Helpers every format shares: read-only arrays and the pieces of the messages users read."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from ..errors import InvalidInput
from ..io import Member, read_members


def frozen(array: np.ndarray) -> np.ndarray:
    """The array, made read-only: parsed inputs are shared (the worker's cache) and never mutated."""
    array.flags.writeable = False
    return array


def is_number(value: Any) -> TypeGuard[int | float]:
    """A finite JSON number: int or float, not bool, not NaN or infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters with "..." so that a message stays one line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def member_label(path: Path, member: Member) -> str:
    """How a message names a file: ``upload.zip:dets/a.txt`` inside an archive, else the file's name."""
    return path.name if member.name == path.name else f"{path.name}:{member.name}"


def single_member(path: Path, what: str, suffix: str = "") -> tuple[str, Member]:
    """The label and the one file of ``path`` (a file, or a folder or archive holding one).

    With ``suffix``, an archive's files without it are passed over when any file has it.
    """
    members = read_members(path)
    members = [m for m in members if suffix and m.name.lower().endswith(suffix)] or members
    if len(members) != 1:
        names = ", ".join(m.name for m in members[:5]) or "none"
        raise InvalidInput.single(path.name, f"expected exactly one {what} file, found {len(members)} ({names})")
    return member_label(path, members[0]), members[0]
