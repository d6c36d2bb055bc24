"""Load the demo benchmark and its simulated submissions, through the normal upload path."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

from leaderboard import demo, ground_truth, services
from leaderboard.models import Benchmark, Split, Submission, Track


class Command(BaseCommand):
    help = "Create the generated demo benchmark, track and simulated submissions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-submissions", action="store_true", help="Only the benchmark and its track.")
        parser.add_argument("--images", type=int, default=300)

    def handle(self, *args, **options):
        gt_dir = settings.GROUND_TRUTH_ROOT / "demo-coco"
        gt_dir.mkdir(parents=True, exist_ok=True)
        gt_path = gt_dir / "val.json"
        gt_data = demo.generate_ground_truth(images=options["images"])
        gt_path.write_bytes(demo.to_json_bytes(gt_data))
        benchmark, _ = Benchmark.objects.update_or_create(
            slug="demo-coco",
            defaults={
                "name": "Demo COCO-style",
                "protocol": "coco",
                "is_demo": True,
                "description": "A generated COCO-style split with six categories, scored with the COCO protocol.",
            },
        )
        split, _ = Split.objects.update_or_create(
            benchmark=benchmark,
            slug="val",
            defaults={
                "name": "val",
                "ground_truth_path": str(gt_path.relative_to(settings.GROUND_TRUTH_ROOT)),
                "checksum": ground_truth.file_checksum(gt_path),
                "image_count": len(gt_data["images"]),
                "public_seed": "demo-coco-val",
            },
        )
        track, _ = Track.objects.update_or_create(
            slug="demo-coco-detection",
            defaults={
                "benchmark": benchmark,
                "split": split,
                "name": "Demo COCO-style detection",
                "primary_metric": "AP",
            },
        )
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        if options["no_submissions"]:
            return
        host, _ = User.objects.get_or_create(username="demo-host", defaults={"is_staff": True})
        for n, profile in enumerate(demo.PROFILES):
            if Submission.objects.filter(track=track, method_name=profile.name).exists():
                continue
            results = demo.simulate_detections(gt_data, profile, seed=100 + n)
            upload = SimpleUploadedFile(f"{profile.name}.json".replace(" ", "_"), demo.to_json_bytes(results))
            services.submission_create(
                user=host,
                track=track,
                upload=upload,
                method_name=profile.name,
                description="Simulated detector (demo data).",
                ms_per_image=profile.ms_per_image,
                is_baseline=True,
            )
            self.stdout.write(f"queued {profile.name}")
