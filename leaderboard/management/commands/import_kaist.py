"""Import the KAIST annotation JSON as day and night domain splits (a real Day2Night pair)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import evaluator
from evaluator.formats.kaist import DAY, NIGHT, image_domain
from leaderboard.importing import split_import
from leaderboard.models import Benchmark


def domain_files(source: Path, folder: Path) -> dict[str, Path]:
    """Write one annotation file per domain, keeping image ids, categories and info."""
    data = json.loads(source.read_text())
    images = {DAY: [], NIGHT: []}
    for image in data["images"]:
        domain = image_domain(image)
        if domain is None:
            raise CommandError(f"{source.name}: image {image.get('id')} is neither day nor night")
        images[domain].append(image)
    files = {}
    for domain, records in images.items():
        ids = {image["id"] for image in records}
        subset = {
            **{key: value for key, value in data.items() if key not in ("images", "annotations")},
            "images": records,
            "annotations": [ann for ann in data["annotations"] if ann["image_id"] in ids],
        }
        files[domain] = folder / f"{source.stem}_{domain}.json"
        files[domain].write_text(json.dumps(subset))
    return files


class Command(BaseCommand):
    help = "Import KAIST_annotation.json as two splits of a kaist benchmark: day (source) and night (target)."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("--benchmark", default="kaist-daynight")

    def handle(self, *args, **options):
        source = options["source"]
        if not source.exists():
            raise CommandError(f"{source}: no such file")
        benchmark, _ = Benchmark.objects.get_or_create(
            slug=options["benchmark"], defaults={"name": "KAIST day/night pedestrians", "protocol": "kaist"}
        )
        if benchmark.protocol != "kaist":
            raise CommandError(f"benchmark {benchmark.slug} uses protocol {benchmark.protocol}, not kaist")
        with tempfile.TemporaryDirectory() as tmp:
            try:
                files = domain_files(source, Path(tmp))
                for domain, path in files.items():
                    report = split_import(source=path, benchmark=benchmark, slug=domain, name=domain, domain=domain)
                    state = "imported" if report.changed else "unchanged"
                    self.stdout.write(f"{state}: {benchmark.slug}/{domain}, {report.images} images")
            except (evaluator.InvalidInput, json.JSONDecodeError, KeyError) as exc:
                raise CommandError(f"{source.name}: not a KAIST annotation file: {exc}") from None
