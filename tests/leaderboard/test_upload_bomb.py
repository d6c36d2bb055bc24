"""Attack: a small zip whose members unpack to far more than any results file (issue 14, item 2).

Each member stays under every per-member limit of the engine (size, 200:1 ratio); only the
total unpacked size, capped by MAX_UNPACKED_MB, stops it, before anything is read.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import evaluator
from leaderboard import kits, services
from leaderboard.models import Submission

MEMBER_BYTES = 300_000_000
BLOCK = 1024 * 1024
# A peak this low means nothing near a member's size was ever held in memory.
RSS_CEILING_MB = 250


def write_bomb(path: Path, *, member_bytes: int = MEMBER_BYTES, members: int = 2) -> Path:
    """A VOC-style zip whose members each unpack to ``member_bytes`` at about 100:1."""
    block = random.Random(14).randbytes(8 * 1024) + bytes(BLOCK - 8 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(members):
            info = zipfile.ZipInfo(f"comp4_det_test_class{n}.txt", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                left = member_bytes
                while left:
                    chunk = block[:left]
                    member.write(chunk)
                    left -= len(chunk)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return write_bomb(tmp_path_factory.mktemp("bomb") / "detections.zip")


PEAK_SCRIPT = """
import json, re, sys
import django
django.setup()
import evaluator
from leaderboard import kits
try:
    with kits.unpack_limits():
        evaluator.load_results(sys.argv[1], protocol="voc07", ground_truth=None)
    message = None
except evaluator.InvalidInput as exc:
    message = exc.message
# VmHWM, this program's own peak: ru_maxrss would carry the forking parent's over exec.
with open("/proc/self/status") as status:
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
print(json.dumps({"peak_mb": peak_kb / 1024, "message": message}))
"""


def peak_while_checking(path: Path, **environ: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leaderboard.settings", **environ}
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(path)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_bomb_is_refused_from_its_headers_with_a_low_memory_peak(bomb):
    with zipfile.ZipFile(bomb) as archive:
        infos = archive.infolist()
    assert all(i.file_size / i.compress_size < evaluator.io.DEFAULT_LIMITS.max_compression_ratio for i in infos)
    assert sum(i.file_size for i in infos) < evaluator.io.DEFAULT_LIMITS.max_total_bytes

    result = peak_while_checking(bomb, MAX_UNPACKED_MB="256")
    assert result["message"] is not None
    assert "the limit is 268435456 bytes unpacked" in result["message"]
    assert result["peak_mb"] < RSS_CEILING_MB, result


@pytest.mark.django_db
def test_the_site_refuses_the_bomb_with_the_limit(bomb, user, track, settings):
    settings.MAX_UNPACKED_MB = 256
    upload = SimpleUploadedFile("detections.zip", bomb.read_bytes(), content_type="application/zip")
    with pytest.raises(services.SubmissionRefused, match="the limit is 268435456 bytes unpacked"):
        services.submission_create(user=user, track=track, upload=upload, method_name="bomb")
    assert not Submission.objects.exists()


def _lying_zip(path: Path, *, real: bytes, declared: int) -> Path:
    """A zip whose headers declare ``declared`` bytes for a member that unpacks to ``real``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("results.json", real)
    data = bytearray(path.read_bytes())
    size = len(real).to_bytes(4, "little")
    # The uncompressed size sits at offset 22 of the local header and 24 of the central one.
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    assert data[local + 22 : local + 26] == size and data[central + 24 : central + 28] == size
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def test_a_member_cannot_unpack_more_than_its_header_declares(tmp_path):
    path = _lying_zip(tmp_path / "results.zip", real=b"[" + b" " * 5_000_000 + b"]", declared=1000)
    with kits.unpack_limits(), pytest.raises(evaluator.InvalidInput) as caught:
        evaluator.io.read_members(path)
    assert "results.json" in caught.value.message


def test_the_cap_counts_every_member_together(tmp_path, settings):
    settings.MAX_UNPACKED_MB = 1
    path = tmp_path / "parts.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(3):
            archive.writestr(f"part{n}.txt", random.Random(n).randbytes(400 * 1024))
    with kits.unpack_limits(), pytest.raises(evaluator.InvalidInput, match="the limit is 1048576 bytes unpacked"):
        evaluator.io.read_members(path)
    assert len(evaluator.io.read_members(path)) == 3  # outside the site's block, the engine's defaults
