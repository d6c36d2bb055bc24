"""Reading inputs given as a file, a folder, a zip or a tar, with limits.

Every format reader goes through :func:`read_members`, so archive safety (size and
member limits, path traversal, truncated archives) is enforced in one place.
"""

from __future__ import annotations

import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    max_members: int = 50_000
    max_total_bytes: int = 2 * 1024**3
    max_member_bytes: int = 1024**3
    max_compression_ratio: float = 200.0


DEFAULT_LIMITS = Limits()


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
            raise InvalidInput.single(
                label,
                f"is not UTF-8 text (byte {exc.start} is 0x{self.data[exc.start]:02x}); expected a plain text file",
            ) from None


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"))


def read_members(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> list[Member]:
    """Return the regular files of ``path``: a plain file (one member), a folder
    (recursively) or an archive. Hidden files and macOS resource forks are skipped.
    """
    path = Path(path)
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
        if size > limits.max_member_bytes:
            raise InvalidInput.single(label, f"is {size} bytes; the limit is {limits.max_member_bytes}")
        return [Member(name=path.name, data=path.read_bytes())]
    return sorted((m for m in members if not _skipped(m.name)), key=lambda m: m.name)


def _skipped(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _safe_name(label: str, name: str) -> str:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise InvalidInput.single(label, f"member {name!r} has an unsafe path; expected relative paths only")
    return str(pure)


def _check_totals(label: str, count: int, total: int, limits: Limits) -> None:
    if count > limits.max_members:
        raise InvalidInput.single(label, f"has more than {limits.max_members} files")
    if total > limits.max_total_bytes:
        raise InvalidInput.single(label, f"unpacks to more than {limits.max_total_bytes} bytes")


def _read_folder(path: Path, limits: Limits) -> list[Member]:
    members: list[Member] = []
    total = 0
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if _skipped(rel):
            continue
        data = file.read_bytes()
        total += len(data)
        members.append(Member(rel, data))
        _check_totals(path.name, len(members), total, limits)
    return members


def _read_zip(path: Path, label: str, limits: Limits) -> list[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput.single(label, f"is not a readable zip archive ({exc})") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        _check_totals(label, len(infos), sum(i.file_size for i in infos), limits)
        members = []
        for info in infos:
            name = _safe_name(label, info.filename)
            if info.file_size > limits.max_member_bytes:
                raise InvalidInput.single(label, f"member {name} is larger than {limits.max_member_bytes} bytes")
            if info.compress_size and info.file_size / info.compress_size > limits.max_compression_ratio:
                raise InvalidInput.single(
                    label,
                    f"member {name} is compressed {info.file_size // info.compress_size}:1; refused as a zip bomb",
                )
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise InvalidInput.single(
                    label, f"member {name} cannot be read: the archive is damaged ({exc})"
                ) from None
            members.append(Member(name, data))
        return members


def _read_tar(path: Path, label: str, limits: Limits) -> list[Member]:
    members: list[Member] = []
    total = 0
    try:
        with tarfile.open(path) as archive:
            for info in archive:
                if not info.isfile():
                    continue
                name = _safe_name(label, info.name)
                total += info.size
                if info.size > limits.max_member_bytes:
                    raise InvalidInput.single(label, f"member {name} is larger than {limits.max_member_bytes} bytes")
                handle = archive.extractfile(info)
                data = handle.read() if handle else b""
                if len(data) != info.size:
                    raise InvalidInput.single(label, f"member {name} is truncated: the archive is damaged")
                members.append(Member(name, data))
                _check_totals(label, len(members), total, limits)
    except (tarfile.TarError, OSError, EOFError, zlib_error()) as exc:
        raise InvalidInput.single(label, f"is not a readable tar archive or is truncated ({exc})") from None
    return members


def zlib_error() -> type[Exception]:
    import zlib

    return zlib.error


def read_single_text(path: str | Path, label: str | None = None) -> tuple[str, str]:
    """Read a plain text file (not an archive); return ``(label, text)``."""
    path = Path(path)
    member = Member(path.name, path.read_bytes())
    name = label or path.name
    return name, member.text(name)


__all__ = ["DEFAULT_LIMITS", "Limits", "Member", "is_archive", "read_members", "read_single_text"]
