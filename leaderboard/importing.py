"""Turn ground-truth files people have into hidden splits in the ground-truth storage."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

import evaluator
from evaluator.summary import object_counts

from . import files, ground_truth
from .models import Benchmark, Split


@dataclass(frozen=True)
class ImportReport:
    split: Split
    images: int
    checksum: str
    changed: bool
    objects: dict[str, int]


def split_seed_new() -> str:
    """A secret seed: the rule is public, so only an unguessable seed keeps the private images private."""
    return secrets.token_hex(16)


def split_import(
    *,
    source: Path,
    benchmark: Benchmark,
    slug: str,
    name: str = "",
    domain: str = "",
    public_fraction: float = 0.5,
    public_seed: str = "",
) -> ImportReport:
    """Validate ``source`` with the engine, copy it in and record its checksum (idempotent).

    Raises evaluator.InvalidInput when the file is not valid ground truth of the
    benchmark's protocol; nothing is written then.
    """
    source = Path(source)
    gt = evaluator.load_ground_truth(source, protocol=benchmark.protocol)
    images = len(evaluator.image_ids(gt, protocol=benchmark.protocol))
    objects = object_counts(gt)
    checksum = ground_truth.file_checksum(source)
    relative = Path(benchmark.slug) / slug / source.name
    existing = Split.objects.filter(benchmark=benchmark, slug=slug).first()
    unchanged = existing is not None and existing.checksum == checksum and ground_truth.stored(relative.as_posix())
    if not unchanged:
        files.upload(ground_truth.storage(), source, relative.as_posix())
    with transaction.atomic():
        split, _ = Split.objects.update_or_create(
            benchmark=benchmark,
            slug=slug,
            defaults={
                "name": name or slug,
                "domain": domain,
                "ground_truth_path": relative.as_posix(),
                "checksum": checksum,
                "image_count": images,
                "public_fraction": public_fraction,
                # A re-import keeps the seed, so no image changes side.
                "public_seed": public_seed or (existing.public_seed if existing else split_seed_new()),
            },
        )
    ground_truth.kit_write(split, gt)
    return ImportReport(split=split, images=images, checksum=checksum, changed=not unchanged, objects=objects)


def kitti_subset(source: Path, image_ids: list[str], target: Path) -> None:
    """Write the label files of ``image_ids`` (from a folder or archive with label_2/) into a zip."""
    import zipfile

    from evaluator.io import read_members

    wanted = set(image_ids)
    labels = {Path(m.name).stem: m.data for m in read_members(source) if Path(m.name).parent.name == "label_2"}
    missing = sorted(wanted - set(labels))
    if missing:
        raise evaluator.InvalidInput.single(
            source.name, f"has no label_2 file for {len(missing)} listed images, e.g. {missing[0]}"
        )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for image_id in image_ids:
            # A fixed timestamp: the same labels make the same bytes, so re-importing changes nothing.
            archive.writestr(
                zipfile.ZipInfo(f"label_2/{image_id}.txt", date_time=(1980, 1, 1, 0, 0, 0)), labels[image_id]
            )
