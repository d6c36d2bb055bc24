"""Load the demo benchmarks and their baseline submissions, through the normal upload path.

Generated benchmarks are labelled as demo data. Real benchmarks come from the files in
SHARED_DATA_DIR when they are there (KAIST day/night); otherwise the command says how
to import them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

from leaderboard import demo, services
from leaderboard.importing import split_import
from leaderboard.models import Benchmark, Submission, Track

KAIST_CITATION = (
    "Hwang et al., Multispectral Pedestrian Detection: Benchmark Dataset and Baseline, CVPR 2015; "
    "improved test annotations of Liu et al., BMVC 2016."
)


class Command(BaseCommand):
    help = "Create the demo benchmarks, tracks and baseline submissions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-submissions", action="store_true", help="Only the benchmarks and their tracks.")
        parser.add_argument("--images", type=int, default=300, help="Images of the generated COCO-style split.")
        parser.add_argument("--skip-real", action="store_true", help="Only the generated benchmarks.")

    def handle(self, *args, **options):
        self.submissions = not options["no_submissions"]
        self.host, _ = User.objects.get_or_create(username="demo-host", defaults={"is_staff": True})
        self.load_generated_coco(options["images"])
        if not options["skip_real"]:
            self.load_kaist(Path(settings.SHARED_DATA_DIR) / "kaist-daynight")

    def baseline(self, track: Track, name: str, filename: str, content: bytes, **extra) -> None:
        if not self.submissions or Submission.objects.filter(track=track, method_name=name).exists():
            return
        services.submission_create(
            user=self.host,
            track=track,
            upload=SimpleUploadedFile(filename, content),
            method_name=name,
            is_baseline=True,
            **extra,
        )
        self.stdout.write(f"  queued baseline {name}")

    def load_generated_coco(self, images: int) -> None:
        benchmark, _ = Benchmark.objects.update_or_create(
            slug="demo-coco",
            defaults={
                "name": "Demo COCO-style",
                "protocol": "coco",
                "is_demo": True,
                "description": "A generated COCO-style split with six categories, scored with the COCO protocol.",
            },
        )
        gt_data = demo.generate_ground_truth(images=images)
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "val.json"
            source.write_bytes(demo.to_json_bytes(gt_data))
            report = split_import(source=source, benchmark=benchmark, slug="val", public_seed="demo-coco-val")
        track, _ = Track.objects.update_or_create(
            slug="demo-coco-detection",
            defaults={
                "benchmark": benchmark,
                "split": report.split,
                "name": "Demo COCO-style detection",
                "primary_metric": "AP",
            },
        )
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        for n, profile in enumerate(demo.PROFILES):
            results = demo.to_json_bytes(demo.simulate_detections(gt_data, profile, seed=100 + n))
            self.baseline(
                track,
                profile.name,
                f"{profile.name}.json".replace(" ", "_"),
                results,
                description="Simulated detector (demo data).",
                ms_per_image=profile.ms_per_image,
            )

    def load_kaist(self, root: Path) -> None:
        annotations = root / "KAIST_annotation.json"
        if not annotations.exists():
            self.stdout.write(
                f"KAIST day/night: {annotations} not found; import it with\n"
                "  manage.py import_split KAIST_annotation.json --benchmark kaist-daynight --protocol kaist --split test"
            )
            return
        benchmark, _ = Benchmark.objects.update_or_create(
            slug="kaist-daynight",
            defaults={
                "name": "KAIST day/night pedestrians",
                "protocol": "kaist",
                "is_demo": False,
                "description": (
                    "The KAIST multispectral pedestrian test set (every 20th frame of sets 06-11): 1,455 day and "
                    "797 night images, scored in the Reasonable setting by log-average miss rate (lower is better)."
                ),
                "citation": KAIST_CITATION,
            },
        )
        report = split_import(source=annotations, benchmark=benchmark, slug="test", name="test-all-20")
        track, _ = Track.objects.update_or_create(
            slug="kaist-reasonable",
            defaults={
                "benchmark": benchmark,
                "split": report.split,
                "name": "KAIST Reasonable, day and night",
                "primary_metric": "MR_all",
                "higher_is_better": False,
            },
        )
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        mbnet = root / "detections" / "MBNet_result.txt"
        if mbnet.exists():
            self.baseline(
                track,
                "MBNet",
                mbnet.name,
                mbnet.read_bytes(),
                description="Zhou et al., Improving Multispectral Pedestrian Detection by Addressing Modality "
                "Imbalance Problems, ECCV 2020: the authors' released detections.",
                paper_url="https://arxiv.org/abs/2008.03043",
            )
