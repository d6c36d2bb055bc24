"""Import BDD100K box labels as Day2Night domain splits: day, dawn-dusk and night."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import evaluator
from evaluator.protocols.spec import get_spec
from leaderboard import bdd
from leaderboard.importing import split_import
from leaderboard.models import Benchmark


class Command(BaseCommand):
    help = "Convert BDD100K labels (Scalabel JSON) to COCO and import one split per time of day."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="e.g. det_val.json or bdd100k_labels_images_val.json")
        parser.add_argument("--benchmark", default="bdd100k-day2night")
        parser.add_argument(
            "--default-timeofday", choices=sorted(bdd.DOMAINS), help="for frames whose time of day is undefined"
        )

    def handle(self, *args, **options):
        try:
            conversion = bdd.convert(options["source"], default_timeofday=options["default_timeofday"])
        except bdd.BddError as exc:
            raise CommandError(str(exc)) from None
        if not conversion.domains:
            raise CommandError(
                f"{options['source'].name}: no frame has a usable time of day; rejected: {dict(conversion.rejected)}"
            )
        benchmark, _ = Benchmark.objects.get_or_create(
            slug=options["benchmark"], defaults={"name": "BDD100K Day2Night", "protocol": "coco"}
        )
        if not get_spec(benchmark.protocol).coco_ground_truth:
            raise CommandError(
                f"benchmark {benchmark.slug} uses protocol {benchmark.protocol}, whose ground truth is not COCO JSON"
            )
        with tempfile.TemporaryDirectory() as tmp:
            for domain in ("day", "dawn-dusk", "night"):
                if domain not in conversion.domains:
                    continue
                source = Path(tmp) / f"{options['source'].stem}_{domain}.json"
                source.write_text(json.dumps(conversion.domains[domain]))
                try:
                    report = split_import(source=source, benchmark=benchmark, slug=domain, name=domain, domain=domain)
                except evaluator.InvalidInput as exc:
                    raise CommandError(exc.message) from None
                counts = ", ".join(
                    f"{category} {conversion.objects[(domain, category)]}"
                    for category in bdd.CATEGORIES
                    if conversion.objects[(domain, category)]
                )
                state = "imported" if report.changed else "unchanged"
                self.stdout.write(f"{state}: {benchmark.slug}/{domain}, {report.images} images ({counts})")
        for reason, count in sorted(conversion.rejected.items()):
            self.stdout.write(f"rejected {count}: {reason}")
