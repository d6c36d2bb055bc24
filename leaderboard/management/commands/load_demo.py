"""Load the demo benchmarks and their baseline submissions, through the normal upload path.

Generated benchmarks are labelled as demo data. Real benchmarks come from the files in
SHARED_DATA_DIR when they are there (KAIST day/night); otherwise the command says how
to import them.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

from evaluator.label_map import COCO_TO_VOC
from leaderboard import demo, demo_kitti, demo_text, demo_transfer, demo_voc, services
from leaderboard.importing import ImportReport, kitti_subset, split_import
from leaderboard.management.commands.import_kaist import domain_files
from leaderboard.models import Benchmark, Split, Submission, Track, TrackDomain

KAIST_CITATION = (
    "Hwang et al., Multispectral Pedestrian Detection: Benchmark Dataset and Baseline, CVPR 2015; "
    "improved test annotations of Liu et al., BMVC 2016."
)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A demo benchmark's catalogue entry, as the admin shows it."""

    slug: str
    name: str
    protocol: str
    description: str
    is_demo: bool = True
    citation: str = ""


BENCHMARKS = {
    spec.slug: spec
    for spec in (
        BenchmarkSpec(
            "demo-coco",
            "Demo COCO-style",
            "coco",
            "A generated COCO-style split in COCO's 80 categories, scored with the COCO protocol.",
        ),
        BenchmarkSpec(
            "demo-day2night",
            "Demo Day2Night driving",
            "coco",
            "Generated driving scenes in BDD100K's categories: day (source), dawn/dusk, night (target), scored with "
            "the COCO protocol.",
        ),
        BenchmarkSpec(
            "voc2007",
            "PASCAL VOC 2007",
            "voc07",
            "The PASCAL VOC 2007 test set: 4,952 images, 20 classes, difficult objects ignored; 11-point interpolated"
            " AP as in the official devkit.",
            is_demo=False,
            citation="Everingham et al., The PASCAL Visual Object Classes (VOC) Challenge, IJCV 2010.",
        ),
        BenchmarkSpec(
            "kitti",
            "KITTI 2D object detection",
            "kitti",
            "The 3,769-image validation half of the KITTI training set (the 3DOP split): Car, Pedestrian and Cyclist "
            "at three difficulties, AP over 40 recall points as the official devkit. Its baselines are simulated from"
            " the labels.",
            is_demo=False,
            citation="Geiger, Lenz and Urtasun, Are we ready for Autonomous Driving? The KITTI Vision Benchmark "
            "Suite, CVPR 2012.",
        ),
        BenchmarkSpec(
            "demo-voc2007",
            "Demo VOC 2007-style",
            "voc07",
            "A generated PASCAL VOC 2007-style split: 20 classes, difficult objects, the devkit's 11-point AP.",
        ),
        BenchmarkSpec(
            "demo-kitti",
            "Demo KITTI-style",
            "kitti",
            "Generated KITTI-style labels (Car, Pedestrian, Cyclist with truncation, occlusion, DontCare, Van and "
            "Person_sitting), scored with the KITTI devkit's rules.",
        ),
        BenchmarkSpec(
            "kaist-daynight",
            "KAIST day/night pedestrians",
            "kaist",
            "The KAIST multispectral pedestrian test set (every 20th frame of sets 06-11): 1,455 day and 797 night "
            "images, scored in the Reasonable setting by log-average miss rate (lower is better).",
            is_demo=False,
            citation=KAIST_CITATION,
        ),
    )
}

REAL = ("voc", "kitti", "kaist")


class Command(BaseCommand):
    help = "Create the demo benchmarks, tracks and baseline submissions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-submissions", action="store_true", help="Only the benchmarks and their tracks.")
        parser.add_argument("--images", type=int, default=300, help="Images of the generated COCO-style split.")
        parser.add_argument("--skip-real", action="store_true", help="Only the generated benchmarks.")
        parser.add_argument(
            "--real", nargs="+", choices=REAL, default=list(REAL), help="Which real benchmarks to load (default: all)."
        )

    def handle(self, *args, **options):
        self.submissions = not options["no_submissions"]
        self.host, _ = User.objects.get_or_create(username="demo-host", defaults={"is_staff": True})
        self.load_generated_coco(options["images"])
        self.load_day2night(max(options["images"] * 2 // 3, 20))
        self.load_generated_voc(options["images"])
        real = [] if options["skip_real"] else options["real"]
        shared = Path(settings.SHARED_DATA_DIR)
        if "voc" in real:
            self.load_voc(shared / "voc2007-test")
        if "kitti" in real:
            self.load_kitti(shared / "kitti")
        if "kaist" in real:
            self.load_kaist(shared / "kaist-daynight")
        demo_text.apply()

    def benchmark(self, slug: str) -> Benchmark:
        """The benchmark of BENCHMARKS[slug], created or brought up to date."""
        spec = BENCHMARKS[slug]
        defaults = {
            "name": spec.name,
            "protocol": spec.protocol,
            "is_demo": spec.is_demo,
            "description": spec.description,
        }
        if spec.citation:
            defaults["citation"] = spec.citation
        return Benchmark.objects.update_or_create(slug=slug, defaults=defaults)[0]

    def simulated_baselines(
        self,
        track: Track,
        profiles: tuple[demo.DetectorProfile, ...],
        extension: str,
        simulate: Callable[[demo.DetectorProfile], bytes],
        description: str = "Simulated detector (demo data).",
    ) -> None:
        """One baseline a detector profile; ``simulate`` runs only for the baselines still missing."""
        for profile in profiles:
            if not self.submissions or Submission.objects.filter(track=track, method_name=profile.name).exists():
                continue
            self.baseline(
                track,
                profile.name,
                f"{profile.name}.{extension}".replace(" ", "_"),
                simulate(profile),
                description=description,
                is_simulated=True,
                ms_per_image=profile.ms_per_image,
            )

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

    def accuracy_track(
        self, benchmark: Benchmark, split: Split, slug: str, name: str, primary_metric: str, **fields
    ) -> Track:
        track, _ = Track.objects.update_or_create(
            slug=slug,
            defaults={"benchmark": benchmark, "split": split, "name": name, "primary_metric": primary_metric, **fields},
        )
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        return track

    @staticmethod
    def import_generated(filename: str, content: bytes, **options) -> ImportReport:
        """Imports a generated split through the same importer as a host's file."""
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / filename
            source.write_bytes(content)
            return split_import(source=source, **options)

    def load_generated_coco(self, images: int) -> None:
        benchmark = self.benchmark("demo-coco")
        gt_data = demo.generate_ground_truth(images=images)
        report = self.import_generated(
            "val.json", demo.to_json_bytes(gt_data), benchmark=benchmark, slug="val", public_seed="demo-coco-val"
        )
        track = self.accuracy_track(benchmark, report.split, "demo-coco-detection", "Demo COCO-style detection", "AP")
        # Common random numbers: the profiles differ only by their parameters, not by sampling noise.
        self.simulated_baselines(
            track, demo.PROFILES, "json", lambda p: demo.to_json_bytes(demo.simulate_detections(gt_data, p, seed=100))
        )

    def transfer_track(self, benchmark: Benchmark, slug: str, name: str, splits: list[Split], **fields) -> Track:
        track, _ = Track.objects.update_or_create(
            slug=slug,
            defaults={"benchmark": benchmark, "split": splits[0], "name": name, "kind": Track.Kind.TRANSFER, **fields},
        )
        for position, split in enumerate(splits, start=1):
            TrackDomain.objects.update_or_create(
                track=track, position=position, defaults={"split": split, "name": split.domain or split.slug}
            )
        track.domains.filter(position__gt=len(splits)).delete()
        return track

    def load_day2night(self, images: int) -> None:
        benchmark = self.benchmark("demo-day2night")
        ground_truth, splits = {}, []
        with tempfile.TemporaryDirectory() as tmp:
            for n, domain in enumerate(demo_transfer.DOMAINS):
                ground_truth[domain.name] = demo_transfer.generate_domain(domain, images=images, seed=20 + n)
                source = Path(tmp) / f"{domain.name}.json"
                source.write_bytes(demo.to_json_bytes(ground_truth[domain.name]))
                report = split_import(
                    source=source,
                    benchmark=benchmark,
                    slug=domain.name,
                    domain=domain.name,
                    public_seed=f"demo-day2night-{domain.name}",
                )
                splits.append(report.split)
        track = self.transfer_track(
            benchmark,
            "demo-day2night-transfer",
            "Demo Day2Night: day → dawn/dusk → night",
            splits,
            primary_metric="target_after",
            higher_is_better=True,
        )
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        for strategy in demo_transfer.STRATEGIES:
            rows = "ends" if strategy.key == "image-translation" else "all"
            archive = demo_transfer.submission_archive(strategy, ground_truth, rows=rows)
            self.baseline(
                track,
                strategy.method,
                f"{strategy.key}.zip",
                archive,
                strategy=strategy.key,
                uses_target_labels=strategy.uses_target_labels,
                description="Simulated strategy (demo data).",
                is_simulated=True,
            )

    def load_voc(self, root: Path) -> None:
        annotations = root / "VOC2007_test_annotations.tar.gz"
        if not annotations.exists():
            self.stdout.write(
                f"PASCAL VOC 2007: {annotations} not found; import it with\n"
                "  manage.py import_split VOC2007_test_annotations.tar.gz --benchmark voc2007 --protocol voc07 --split test"
            )
            return
        benchmark = self.benchmark("voc2007")
        report = split_import(source=annotations, benchmark=benchmark, slug="test", name="VOC2007 test")
        track = self.accuracy_track(benchmark, report.split, "voc2007-detection", "VOC 2007 detection", "mAP")
        detections = root / "yolov2_detections"
        if detections.is_dir():
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(detections.glob("comp4_det_test_*.txt")):
                    archive.write(path, path.name)
            self.baseline(
                track,
                "YOLOv2 (VOC07+12)",
                "yolov2_comp4.zip",
                buffer.getvalue(),
                description="Real YOLOv2 detections on VOC2007 test from a public PyTorch reimplementation "
                "trained on VOC07+12 trainval.",
                paper_url="https://arxiv.org/abs/1612.08242",
            )

    def load_kitti(self, root: Path) -> None:
        labels_zip, val_list = root / "data_object_label_2.zip", root / "val.txt"
        if not (labels_zip.exists() and val_list.exists()):
            self.stdout.write(
                f"KITTI: {labels_zip} or {val_list} not found: loading a generated KITTI-style split instead. Import "
                "the real validation labels with\n  manage.py import_split data_object_label_2.zip --images val.txt "
                "--benchmark kitti --protocol kitti --split val"
            )
            self.load_generated_kitti()
            return
        benchmark = self.benchmark("kitti")
        ids = [line.strip() for line in val_list.read_text().splitlines() if line.strip()]
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "kitti_val_label_2.zip"
            kitti_subset(labels_zip, ids, source)
            with zipfile.ZipFile(source) as archive:
                labels = {i: demo_kitti.parse_labels(archive.read(f"label_2/{i}.txt").decode()) for i in ids}
            report = split_import(source=source, benchmark=benchmark, slug="val", name="val (3DOP split)")
        track = self.accuracy_track(
            benchmark, report.split, "kitti-2d-detection", "KITTI 2D detection (val)", "mAP/moderate"
        )
        self.simulated_baselines(
            track,
            demo.PROFILES[:3],
            "zip",
            lambda p: demo_kitti.simulate(labels, p, seed=300),
            description="Simulated detector on the real labels (not a real model's output).",
        )

    def load_generated_voc(self, images: int) -> None:
        benchmark = self.benchmark("demo-voc2007")
        split_data = demo_voc.generate(images=images)
        report = self.import_generated(
            "VOC2007_test.tar.gz",
            demo_voc.to_tar(split_data),
            benchmark=benchmark,
            slug="test",
            public_seed="demo-voc2007-test",
        )
        track = self.accuracy_track(
            benchmark, report.split, "demo-voc2007-detection", "Demo VOC 2007-style detection", "mAP"
        )
        self.simulated_baselines(
            track, demo.PROFILES, "zip", lambda p: demo_voc.devkit_results(split_data, p, seed=200)
        )
        self.load_coco_to_voc(benchmark, report.split, split_data)

    def load_coco_to_voc(self, benchmark: Benchmark, voc_split: Split, voc_data: dict) -> None:
        """A cross-dataset transfer track: a COCO-trained detector adapted to VOC, predictions in COCO's categories."""
        coco_split = Split.objects.get(benchmark__slug="demo-coco", slug="val")
        coco_split.domain = coco_split.domain or "coco"
        coco_split.save(update_fields=["domain"])
        track = self.transfer_track(
            benchmark,
            "demo-coco-to-voc",
            "Demo cross-dataset: COCO → VOC",
            [coco_split, voc_split],
            primary_metric="target_after",
            higher_is_better=True,
        )
        TrackDomain.objects.filter(track=track, position=2).update(name="voc", label_map=COCO_TO_VOC)
        TrackDomain.objects.filter(track=track, position=1).update(name="coco")
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        coco_gt = demo.generate_ground_truth(images=coco_split.image_count)
        base = demo.PROFILES[2]
        for key, method, skill, loss in (
            ("as-is", "COCO Faster R-CNN, as is", 0.0, 0.0),
            ("fine-tuning", "Fine-tuned on VOC", 0.9, 0.3),
            ("lwf", "Learning without forgetting", 0.7, 0.03),
            ("frozen-features", "Frozen backbone, VOC head", 0.4, 0.0),
        ):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for stage, (stage_skill, stage_loss) in ((1, (0.0, 0.0)), (2, (skill, loss))):
                    kept = replace(
                        base,
                        recall_small=base.recall_small * (1 - stage_loss),
                        recall_large=base.recall_large * (1 - stage_loss),
                    )
                    coco_dets = demo.simulate_detections(coco_gt, kept, seed=400)
                    archive.writestr(f"stage{stage}/coco.json", demo.to_json_bytes(coco_dets))
                    voc_dets = demo_voc.coco_category_results(voc_data, base, seed=401, shift=0.6 * (1 - stage_skill))
                    archive.writestr(f"stage{stage}/voc.json", demo.to_json_bytes(voc_dets))
            self.baseline(
                track,
                method,
                f"{key}.zip",
                buffer.getvalue(),
                strategy=key,
                description="Simulated strategy (demo data).",
                is_simulated=True,
            )

    def load_generated_kitti(self, images: int = 300) -> None:
        benchmark = self.benchmark("demo-kitti")
        texts = demo_kitti.generate_labels(images=images)
        report = self.import_generated(
            "label_2.zip", demo_kitti.labels_zip(texts), benchmark=benchmark, slug="val", public_seed="demo-kitti-val"
        )
        track = self.accuracy_track(
            benchmark, report.split, "demo-kitti-detection", "Demo KITTI-style detection", "mAP/moderate"
        )
        labels = {image_id: demo_kitti.parse_labels(text) for image_id, text in texts.items()}
        self.simulated_baselines(track, demo.PROFILES[:3], "zip", lambda p: demo_kitti.simulate(labels, p, seed=300))

    def load_kaist(self, root: Path) -> None:
        annotations = root / "KAIST_annotation.json"
        if not annotations.exists():
            self.stdout.write(
                f"KAIST day/night: {annotations} not found; import it with\n"
                "  manage.py import_split KAIST_annotation.json --benchmark kaist-daynight --protocol kaist --split test"
            )
            return
        benchmark = self.benchmark("kaist-daynight")
        report = split_import(source=annotations, benchmark=benchmark, slug="test", name="test-all-20")
        track = self.accuracy_track(
            benchmark,
            report.split,
            "kaist-reasonable",
            "KAIST Reasonable, day and night",
            "MR_all",
            higher_is_better=False,
        )
        mbnet = root / "detections" / "MBNet_result.txt"
        self.load_kaist_transfer(benchmark, annotations, mbnet)
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

    def load_kaist_transfer(self, benchmark: Benchmark, annotations: Path, mbnet: Path) -> None:
        """The real Day2Night pair: day (source) and night (target) splits of the KAIST test set."""
        splits = []
        with tempfile.TemporaryDirectory() as tmp:
            for domain, source in domain_files(annotations, Path(tmp)).items():
                splits.append(split_import(source=source, benchmark=benchmark, slug=domain, domain=domain).split)
        track = self.transfer_track(
            benchmark,
            "kaist-day2night",
            "KAIST day → night",
            splits,
            primary_metric="target_after",
            higher_is_better=False,
        )
        self.stdout.write(f"benchmark {benchmark.slug}, track {track.slug}")
        if not mbnet.exists():
            return
        lines = [line for line in mbnet.read_text().splitlines() if line.strip()]
        night_from = 1 + min(int(s.image_count) for s in splits[:1])  # 1-based ids: day images come first
        parts = {
            "day": [line for line in lines if int(float(line.split(",")[0])) < night_from],
            "night": [line for line in lines if int(float(line.split(",")[0])) >= night_from],
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for stage in (1, 2):  # used as is: the same model after both stages
                for domain, rows in parts.items():
                    archive.writestr(f"stage{stage}/{domain}.txt", "\n".join(rows) + "\n")
        self.baseline(
            track,
            "MBNet, as is",
            "mbnet-as-is.zip",
            buffer.getvalue(),
            strategy="as-is",
            description="The released MBNet detections, one model for day and night: its domain gap.",
        )
