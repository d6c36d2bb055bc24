"""Import a ground-truth file, folder or archive as a hidden split of a benchmark."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import evaluator
from leaderboard.importing import kitti_subset, split_import
from leaderboard.models import Benchmark


class Command(BaseCommand):
    help = (
        "Validate and import ground truth as a hidden split, e.g. "
        "import_split instances_val2017.json --benchmark coco --protocol coco --split val2017"
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="Ground-truth file, folder or archive.")
        parser.add_argument("--benchmark", required=True, help="Benchmark slug; created when new.")
        parser.add_argument("--benchmark-name", default="")
        parser.add_argument("--protocol", choices=evaluator.PROTOCOL_NAMES, help="Needed for a new benchmark.")
        parser.add_argument("--split", required=True, help="Split slug, e.g. val2017 or night.")
        parser.add_argument("--split-name", default="")
        parser.add_argument("--domain", default="", help="Domain of a transfer sequence: day, dawn-dusk, night...")
        parser.add_argument("--images", type=Path, help="KITTI: a list of image ids (e.g. val.txt) to keep.")
        parser.add_argument("--public-fraction", type=float, default=0.5)
        parser.add_argument(
            "--public-seed",
            default="",
            help="Seed of the public/private rule (default: a random secret; a re-import keeps the split's seed). "
            "Whoever knows it can tell the private images from the public ones.",
        )

    def handle(self, *args, **options):
        if not options["source"].exists():
            raise CommandError(f"{options['source']}: no such file or folder")
        benchmark = Benchmark.objects.filter(slug=options["benchmark"]).first()
        if benchmark is None:
            if not options["protocol"]:
                raise CommandError("a new benchmark needs --protocol")
            benchmark = Benchmark.objects.create(
                slug=options["benchmark"],
                name=options["benchmark_name"] or options["benchmark"],
                protocol=options["protocol"],
            )
        elif options["protocol"] and options["protocol"] != benchmark.protocol:
            raise CommandError(
                f"benchmark {benchmark.slug} uses protocol {benchmark.protocol}, not {options['protocol']}"
            )
        source = options["source"]
        tmp = tempfile.TemporaryDirectory()
        try:
            if options["images"]:
                if benchmark.protocol != "kitti":
                    raise CommandError("--images is for KITTI; VOC splits come with ImageSets/Main lists")
                ids = [line.strip() for line in options["images"].read_text().splitlines() if line.strip()]
                subset = Path(tmp.name) / f"{source.stem}_{options['images'].stem}.zip"
                kitti_subset(source, ids, subset)
                source = subset
            report = split_import(
                source=source,
                benchmark=benchmark,
                slug=options["split"],
                name=options["split_name"],
                domain=options["domain"],
                public_fraction=options["public_fraction"],
                public_seed=options["public_seed"],
            )
        except evaluator.InvalidInput as exc:
            raise CommandError(f"not imported:\n{exc.message}") from None
        finally:
            tmp.cleanup()
        state = "imported" if report.changed else "unchanged"
        self.stdout.write(
            f"{state}: {benchmark.slug}/{report.split.slug}, {report.images} images, sha256 {report.checksum[:12]}"
        )
        self.stdout.write("objects: " + ", ".join(f"{name} {count}" for name, count in report.objects.items()))
