"""Reading inputs given as a file, a folder, a zip or a tar, with limits.

Every format reader goes through :func:`read_members`, so archive safety (size and
member limits, compression bombs, path traversal, truncated archives) is enforced in
one place. Sizes are checked against what the file system or the archive's headers
declare before anything is read, so an oversized input is refused without reading
it; a zip's real output is bounded by its declared size (zipfile stops there and
checks the CRC), and a tar is refused as soon as it unpacks to more than
``max_compression_ratio`` times its own size.

:func:`json_list_slices` parses a JSON list a slice at a time, so that a large
results file never exists as Python objects all at once (see ``formats/coco.py``).
"""

from __future__ import annotations

import json
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import InvalidInput

# What the standard library raises on damaged or unsupported archives, besides its own types.
ARCHIVE_ERRORS = (OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error, lzma.LZMAError)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Limits:
    """``max_members`` counts every entry of an archive (folders and links too);
    ``max_detections`` bounds the records of one results file."""

    max_members: int = 50_000
    max_total_bytes: int = 2 * 1024**3
    max_member_bytes: int = 1024**3
    max_compression_ratio: float = 200.0
    max_detections: int = 10_000_000


DEFAULT_LIMITS = Limits()
_limits_in_force: ContextVar[Limits] = ContextVar("evaluator_limits", default=DEFAULT_LIMITS)
_CHUNK = 1024**2


@contextmanager
def limits_applied(limits: Limits) -> Iterator[None]:
    """Make ``limits`` what every read in this context (thread, task) enforces, however deep
    in a format reader it happens; a server sets its own caps this way."""
    token = _limits_in_force.set(limits)
    try:
        yield
    finally:
        _limits_in_force.reset(token)


@dataclass(frozen=True)
class Member:
    """One file of an input: ``name`` is its POSIX path inside the archive or folder."""

    name: str
    data: bytes

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name

    def text(self, label: str) -> str:
        """Decode as UTF-8 (a BOM is allowed), naming ``label`` in the error."""
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput.single(label, not_utf8(self.data, exc.start)) from None


def not_utf8(data: bytes, start: int) -> str:
    """The message for bytes that are not UTF-8, ``start`` the first bad byte."""
    hint = " (it looks like UTF-16: save it as UTF-8)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
    return f"is not UTF-8 text (byte {start} is 0x{data[start]:02x}){hint}; expected a plain text file"


def fits_int64(value: int | float) -> bool:
    """True for a whole number that numpy's int64 holds exactly (floats are checked for wholeness elsewhere)."""
    return INT64_MIN <= value < 2.0**63 if isinstance(value, float) else INT64_MIN <= value <= INT64_MAX


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"))


def read_members(path: str | Path, *, limits: Limits | None = None) -> list[Member]:
    """Return the regular files of ``path``: a plain file (one member), a folder
    (recursively) or an archive. Hidden files and macOS resource forks are skipped.
    ``limits`` defaults to those of :func:`limits_applied`, else ``DEFAULT_LIMITS``.
    """
    path = Path(path)
    limits = limits or _limits_in_force.get()
    label = path.name
    if path.is_dir():
        members = _read_folder(path, limits)
    elif not path.exists():
        raise InvalidInput.single(label, "does not exist")
    elif path.name.lower().endswith(".zip"):
        members = _read_zip(path, label, limits)
    elif is_archive(path):
        members = _read_tar(path, label, limits)
    else:
        size = path.stat().st_size
        if size > min(limits.max_member_bytes, limits.max_total_bytes):
            raise InvalidInput.single(
                label, f"is {size} bytes; the limit is {min(limits.max_member_bytes, limits.max_total_bytes)}"
            )
        return [Member(name=path.name, data=path.read_bytes())]
    return sorted((m for m in members if not _skipped(m.name)), key=lambda m: m.name)


def _skipped(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _safe_name(label: str, name: str) -> str:
    pure = PurePosixPath(name.replace("\\", "/"))
    if not name:
        raise InvalidInput.single(label, "has a member without a name; expected relative paths only")
    if pure.is_absolute() or ".." in pure.parts:
        raise InvalidInput.single(label, f"member {name!r} has an unsafe path; expected relative paths only")
    return str(pure)


def _check_totals(label: str, count: int, total: int, limits: Limits) -> None:
    if count > limits.max_members:
        raise InvalidInput.single(label, f"has more than {limits.max_members} files")
    if total > limits.max_total_bytes:
        raise InvalidInput.single(
            label, f"unpacks to {total} bytes or more; the limit is {limits.max_total_bytes} bytes unpacked"
        )


def _check_member_size(label: str, name: str, size: int, limits: Limits) -> None:
    if size > limits.max_member_bytes:
        raise InvalidInput.single(label, f"member {name} is larger than {limits.max_member_bytes} bytes")


def _read_folder(path: Path, limits: Limits) -> list[Member]:
    files = []
    total = 0
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if _skipped(rel):
            continue
        size = file.stat().st_size
        _check_member_size(path.name, rel, size, limits)
        total += size
        files.append((rel, file))
        _check_totals(path.name, len(files), total, limits)
    return [Member(rel, file.read_bytes()) for rel, file in files]


def _read_zip(path: Path, label: str, limits: Limits) -> list[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, *ARCHIVE_ERRORS) as exc:
        raise InvalidInput.single(label, f"is not a readable zip archive ({exc})") from None
    with archive:
        entries = archive.infolist()
        infos = [i for i in entries if not i.filename.endswith("/")]  # ZipInfo.is_dir() fails on an empty name
        _check_totals(label, len(entries), sum(i.file_size for i in infos), limits)
        members = []
        total = 0
        for info in infos:
            name = _safe_name(label, info.filename)
            _check_member_size(label, name, info.file_size, limits)
            if info.file_size > limits.max_compression_ratio * max(info.compress_size, 1):
                ratio = info.file_size // max(info.compress_size, 1)
                raise InvalidInput.single(label, f"member {name} is compressed {ratio}:1; refused as a zip bomb")
            data = _read_zip_member(archive, info, label, name, limits.max_total_bytes - total)
            total += len(data)
            members.append(Member(name, data))
        return members


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, name: str, room: int) -> bytes:
    """The member's bytes, read a chunk at a time and refused as soon as they pass what its header
    declared or the ``room`` left under the total limit: a forged header cannot unpack more."""
    chunks = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > info.file_size or size > room:
                    raise InvalidInput.single(
                        label, f"member {name} unpacks to more than its header declares or the total limit allows"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, *ARCHIVE_ERRORS) as exc:
        raise InvalidInput.single(
            label, f"member {name} cannot be read: the archive is damaged or encrypted ({exc})"
        ) from None
    return b"".join(chunks)


def _read_tar(path: Path, label: str, limits: Limits) -> list[Member]:
    members: list[Member] = []
    total = 0
    entries = 0
    # A compressed tar is one stream: its ratio is only known as a whole.
    unpacked_limit = min(limits.max_total_bytes, limits.max_compression_ratio * max(path.stat().st_size, 1))
    try:
        with tarfile.open(path) as archive:
            for info in archive:
                entries += 1
                _check_totals(label, entries, 0, limits)
                if not info.isfile():
                    continue
                name = _safe_name(label, info.name)
                _check_member_size(label, name, info.size, limits)
                total += info.size
                if total > unpacked_limit:
                    raise InvalidInput.single(
                        label,
                        f"unpacks to more than {int(unpacked_limit)} bytes (at member {name}); refused as a "
                        "compression bomb or an oversized archive",
                    )
                handle = archive.extractfile(info)
                data = handle.read() if handle else b""
                if len(data) != info.size:
                    raise InvalidInput.single(label, f"member {name} is truncated: the archive is damaged")
                members.append(Member(name, data))
    except (tarfile.TarError, *ARCHIVE_ERRORS) as exc:
        raise InvalidInput.single(label, f"is not a readable tar archive or is truncated ({exc})") from None
    return members


_RECORD_BREAK = re.compile(rb"\}\s*,\s*\{")
_WHITESPACE = b" \t\r\n"


def json_list_slices(data: bytes, loads: Callable[[bytes], Any], slice_bytes: int = 4 * 1024**2) -> Iterator[list[Any]]:
    """The items of the JSON list ``data``, as consecutive lists of about ``slice_bytes`` of text each.

    The cuts are made at ``},{`` between two objects and each slice is parsed alone as
    ``[slice]``. A cut is never wrong silently: one that falls inside a string leaves an
    unterminated string, and one inside a nested value leaves unbalanced brackets, so
    that slice fails to parse; then the whole document is parsed and the items not yet
    given are given from it (or its error is raised). ``data`` must start with ``[``
    (after whitespace); ``loads``' errors propagate as they are.
    """
    start = len(data) - len(data.lstrip(_WHITESPACE))
    end = len(data.rstrip(_WHITESPACE)) - 1
    if start >= end or data[start : start + 1] != b"[" or data[end : end + 1] != b"]":
        yield loads(data)
        return
    given = 0
    position = start + 1
    while position < end:
        cut, following = end, end
        if end - position > slice_bytes:
            found = _RECORD_BREAK.search(data, position + slice_bytes, end)
            if found:
                cut, following = found.start() + 1, found.end() - 1
        try:
            items = loads(b"[" + data[position:cut] + b"]")
        except (ValueError, RecursionError):
            whole = loads(data)
            yield whole[given:]
            return
        given += len(items)
        yield items
        position = following


def _parse_int(text: str) -> int | float:
    # Beyond int64 a number cannot be an id or a count: as a float (inf when huge) the range
    # checks refuse it, and Python's own limit on long digit strings is never reached.
    return int(text) if len(text.lstrip("-")) < 19 else float(text)


def loads_lenient(text: str) -> Any:
    """``json.loads`` for files Python's ``json.dump`` wrote (``NaN`` and ``Infinity`` allowed),
    safe on hostile input: integers of 19 digits or more come back as floats, and nesting
    too deep for the interpreter raises ``json.JSONDecodeError`` like any other syntax error."""
    try:
        return json.loads(text, parse_int=_parse_int)
    except RecursionError:
        raise json.JSONDecodeError("arrays and objects are nested too deeply", text, 0) from None


def read_single_text(path: str | Path, label: str | None = None) -> tuple[str, str]:
    """Read a plain text file (not an archive); return ``(label, text)``."""
    path = Path(path)
    member = Member(path.name, path.read_bytes())
    name = label or path.name
    return name, member.text(name)


__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Member",
    "fits_int64",
    "is_archive",
    "json_list_slices",
    "limits_applied",
    "loads_lenient",
    "not_utf8",
    "read_members",
    "read_single_text",
]
