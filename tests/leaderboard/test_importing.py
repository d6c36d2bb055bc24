"""Importing hidden splits, and the real KAIST benchmark loaded by the demo command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from leaderboard import tasks
from leaderboard.models import Benchmark, Score, Split, Submission, Track
from tests.conftest import shared_file

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_is_validated_and_idempotent(tmp_path, settings):
    source = shared_file("coco-val2014-100/instances_val2014_100.json")
    first = run("import_split", str(source), "--benchmark", "coco-mini", "--protocol", "coco", "--split", "val")
    assert first.startswith("imported: coco-mini/val, 100 images")
    split = Split.objects.get(slug="val")
    stored = settings.GROUND_TRUTH_ROOT / split.ground_truth_path
    assert stored.read_bytes() == source.read_bytes()
    assert not str(settings.GROUND_TRUTH_ROOT).startswith(str(settings.MEDIA_ROOT))

    second = run("import_split", str(source), "--benchmark", "coco-mini", "--split", "val")
    assert second.startswith("unchanged: coco-mini/val, 100 images")
    assert Split.objects.count() == 1
    assert Split.objects.get().checksum == split.checksum


def test_invalid_ground_truth_is_not_imported(tmp_path):
    broken = tmp_path / "instances.json"
    broken.write_text(json.dumps({"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 2}], "categories": []}))
    with pytest.raises(CommandError) as error:
        run("import_split", str(broken), "--benchmark", "b", "--protocol", "coco", "--split", "val")
    assert "instances.json" in str(error.value)
    assert not Split.objects.exists()


def test_protocol_must_match_the_benchmark(tmp_path):
    source = shared_file("coco-val2014-100/instances_val2014_100.json")
    run("import_split", str(source), "--benchmark", "b", "--protocol", "coco", "--split", "val")
    with pytest.raises(CommandError, match="uses protocol coco"):
        run("import_split", str(source), "--benchmark", "b", "--protocol", "kaist", "--split", "val")


def test_demo_loads_real_kaist_with_mbnet_scored_exactly(settings):
    shared_file("kaist-daynight/KAIST_annotation.json")
    shared_file("kaist-daynight/detections/MBNet_result.txt")
    run("load_demo", "--images", "30", "--real", "kaist")
    track = Track.objects.get(slug="kaist-reasonable")
    assert not track.higher_is_better
    assert track.primary_metric == "MR_all"
    assert not Benchmark.objects.get(slug="kaist-daynight").is_demo

    mbnet = Submission.objects.get(track=track, method_name="MBNet")
    assert mbnet.is_baseline
    tasks.score_submission(mbnet.pk)
    full = Score.objects.get(submission=mbnet, subset=Score.Subset.FULL, is_current=True)
    assert full.stats["MR_all"] == pytest.approx(0.08129524623975791, abs=1e-12)
    assert full.stats["MR_day"] == pytest.approx(0.0828188744306325, abs=1e-12)
    assert full.stats["MR_night"] == pytest.approx(0.0785771217854902, abs=1e-12)
    assert full.curves["kind"] == "miss_rate"
    assert set(full.curves["subsets"]) == {"all", "day", "night"}

    again = run("load_demo", "--images", "30", "--real", "kaist")
    assert "queued" not in again
    assert Submission.objects.filter(track=track).count() == 1


def test_demo_says_how_to_import_kaist_when_the_files_are_absent(settings, tmp_path):
    settings.SHARED_DATA_DIR = tmp_path / "nothing-here"
    output = run("load_demo", "--images", "30", "--no-submissions", "--real", "kaist")
    assert "import_split KAIST_annotation.json --benchmark kaist-daynight --protocol kaist" in output
    assert not Track.objects.filter(slug="kaist-reasonable").exists()


def test_kaist_imports_as_day_and_night_domain_splits(settings):
    source = shared_file("kaist-daynight/KAIST_annotation.json")
    output = run("import_kaist", str(source))
    assert "imported: kaist-daynight/day, 1455 images" in output
    assert "imported: kaist-daynight/night, 797 images" in output
    assert set(Split.objects.values_list("slug", "domain")) == {("day", "day"), ("night", "night")}
    assert "unchanged: kaist-daynight/day, 1455 images" in run("import_kaist", str(source))

    import evaluator

    night = Split.objects.get(slug="night")
    gt = evaluator.load_ground_truth(settings.GROUND_TRUTH_ROOT / night.ground_truth_path, protocol="kaist")
    ids = evaluator.image_ids(gt, protocol="kaist")
    assert (min(ids), max(ids)) == (1455, 2251)

    # The night split scores a night-only results file exactly as the night subset of the full test set.
    lines = shared_file("kaist-daynight/detections/MBNet_result.txt").read_text().splitlines()
    night_lines = [line for line in lines if line.strip() and int(float(line.split(",")[0])) >= 1456]
    night_results = settings.GROUND_TRUTH_ROOT.parent / "mbnet_night.txt"
    night_results.write_text("\n".join(night_lines) + "\n")
    results = evaluator.load_results(night_results, protocol="kaist", ground_truth=gt)
    assert evaluator.evaluate(gt, results, protocol="kaist").stats["MR_all"] == pytest.approx(
        0.0785771217854902, abs=1e-12
    )


def test_demo_loads_real_voc2007_with_yolov2_scored_exactly(settings):
    shared_file("voc2007-test/VOC2007_test_annotations.tar.gz")
    shared_file("voc2007-test/yolov2_detections")
    run("load_demo", "--images", "30", "--real", "voc")
    track = Track.objects.get(slug="voc2007-detection")
    assert track.split.image_count == 4952
    yolo = Submission.objects.get(track=track, method_name="YOLOv2 (VOC07+12)")
    tasks.score_submission(yolo.pk)
    full = Score.objects.get(submission=yolo, subset=Score.Subset.FULL, is_current=True)
    assert full.stats["mAP"] == pytest.approx(0.7214368051042481, abs=1e-12)
    assert full.explorer["classes"][0] == "aeroplane"


def test_bdd_labels_split_by_time_of_day_with_rejected_reasons(tmp_path):
    sample = shared_file("bdd100k-sample/track_sample_anns.json")
    with pytest.raises(CommandError, match="no frame has a usable time of day"):
        run("import_bdd", str(sample))
    output = run("import_bdd", str(sample), "--default-timeofday", "daytime")
    assert (
        "imported: bdd100k-day2night/day, 202 images (pedestrian 191, rider 119, car 2726, truck 65, bus 21, motorcycle 119)"
        in output
    )
    assert "unchanged" in run("import_bdd", str(sample), "--default-timeofday", "daytime")

    box = {"x1": 10, "y1": 20, "x2": 110, "y2": 80}
    frames = [
        {"name": "a.jpg", "attributes": {"timeofday": "daytime"}, "labels": [{"category": "car", "box2d": box}]},
        {"name": "b.jpg", "attributes": {"timeofday": "dawn/dusk"}, "labels": [{"category": "bus", "box2d": box}]},
        {
            "name": "c.jpg",
            "attributes": {"timeofday": "night"},
            "labels": [
                {"category": "pedestrian", "box2d": box, "attributes": {"crowd": True}},
                {"category": "lane/single white", "poly2d": []},
                {"category": "car", "box2d": {"x1": 5, "y1": 5, "x2": 5, "y2": 9}},
                {"category": "car"},
            ],
        },
        {"name": "d.jpg", "attributes": {"timeofday": "undefined"}, "labels": []},
    ]
    source = tmp_path / "labels.json"
    source.write_text(json.dumps(frames))
    output = run("import_bdd", str(source), "--benchmark", "bdd-small")
    assert "bdd-small/day, 1 images (car 1)" in output
    assert "bdd-small/dawn-dusk, 1 images (bus 1)" in output
    assert "bdd-small/night, 1 images (pedestrian 1)" in output
    assert "rejected 1: label of category 'lane/single white'" in output
    assert "rejected 1: car label: box2d of zero or negative size" in output
    assert "rejected 1: car label: no box2d" in output
    Benchmark.objects.create(name="KAIST", slug="kaist-bdd", protocol="kaist")
    with pytest.raises(CommandError, match="protocol kaist, whose ground truth is not COCO JSON"):
        run("import_bdd", str(source), "--benchmark", "kaist-bdd")
    assert "rejected 1: frame with timeofday undefined" in output
    assert set(Split.objects.filter(benchmark__slug="bdd-small").values_list("domain", flat=True)) == {
        "day",
        "dawn-dusk",
        "night",
    }


def test_demo_loads_real_kitti_labels_with_simulated_baselines_that_rank_as_designed():
    shared_file("kitti/data_object_label_2.zip")
    run("load_demo", "--images", "30", "--real", "kitti")
    track = Track.objects.get(slug="kitti-2d-detection")
    assert track.split.image_count == 3769
    assert track.primary_metric == "mAP/moderate"
    values = {}
    for submission in Submission.objects.filter(track=track):
        tasks.score_submission(submission.pk)
        values[submission.method_name] = submission.scores.get(subset=Score.Subset.FULL).stats["mAP/moderate"]
    assert values["SSD MobileNet v2"] < values["R-FCN ResNet-101"] < values["Faster R-CNN ResNet-101"]


def objects_line(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("objects: "))
    return {name: int(count) for name, count in (item.rsplit(" ", 1) for item in line[len("objects: ") :].split(", "))}


def test_import_reports_objects_per_class_on_the_real_splits():
    voc = run(
        "import_split",
        str(shared_file("voc2007-test/VOC2007_test_annotations.tar.gz")),
        "--benchmark",
        "voc",
        "--protocol",
        "voc07",
        "--split",
        "test",
    )
    assert "4952 images" in voc
    counts = objects_line(voc)
    assert counts.pop("(difficult)") == 2944
    assert sum(counts.values()) == 14976 and counts["person"] == 5227
    coco = run(
        "import_split",
        str(shared_file("coco-val2014-100/instances_val2014_100.json")),
        "--benchmark",
        "coco",
        "--protocol",
        "coco",
        "--split",
        "val",
    )
    assert sum(objects_line(coco).values()) == 839


def test_kitti_import_with_an_image_list_makes_the_validation_split(tmp_path):
    labels, val = shared_file("kitti/data_object_label_2.zip"), shared_file("kitti/val.txt")
    args = (
        "import_split",
        str(labels),
        "--images",
        str(val),
        "--benchmark",
        "kitti",
        "--protocol",
        "kitti",
        "--split",
        "val",
    )
    first = run(*args)
    assert "3769 images" in first
    counts = objects_line(first)
    assert (counts["Car"], counts["Pedestrian"], counts["Cyclist"]) == (14385, 2280, 893)
    assert run(*args).startswith("unchanged")  # the subset is rebuilt byte for byte


def test_hosts_import_a_split_in_the_admin(client, settings):
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from leaderboard.models import Benchmark

    host = User.objects.create_superuser("host", password="x-long-password-1")
    client.force_login(host)
    benchmark = Benchmark.objects.create(slug="coco", name="COCO", protocol="coco")
    source = shared_file("coco-val2014-100/instances_val2014_100.json")
    response = client.post(
        "/admin/leaderboard/split/add/",
        {
            "benchmark": benchmark.pk,
            "slug": "val",
            "name": "val",
            "domain": "",
            "public_fraction": "0.5",
            "public_seed": "s",
            "source": SimpleUploadedFile("instances.json", source.read_bytes()),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    split = Split.objects.get(slug="val")
    assert split.image_count == 100
    assert (settings.GROUND_TRUTH_ROOT / split.ground_truth_path).read_bytes() == source.read_bytes()

    broken = client.post(
        "/admin/leaderboard/split/add/",
        {
            "benchmark": benchmark.pk,
            "slug": "bad",
            "name": "bad",
            "public_fraction": "0.5",
            "public_seed": "s",
            "source": SimpleUploadedFile("bad.json", b'{"images": []'),
        },
    )
    assert broken.status_code == 200
    assert "bad.json" in broken.content.decode()
    assert not Split.objects.filter(slug="bad").exists()


def test_without_the_real_files_the_demo_generates_a_kitti_style_split(settings, tmp_path):
    settings.SHARED_DATA_DIR = tmp_path / "absent"
    output = run("load_demo", "--images", "30", "--real", "kitti")
    assert "loading a generated KITTI-style split instead" in output
    track = Track.objects.get(slug="demo-kitti-detection")
    assert track.benchmark.is_demo
    values = {}
    for submission in Submission.objects.filter(track=track):
        tasks.score_submission(submission.pk)
        values[submission.method_name] = submission.scores.get(subset=Score.Subset.FULL).stats["mAP/moderate"]
    assert values["SSD MobileNet v2"] < values["R-FCN ResNet-101"] < values["Faster R-CNN ResNet-101"]
    counts = objects_line(
        run(
            "import_split",
            str(settings.GROUND_TRUTH_ROOT / track.split.ground_truth_path),
            "--benchmark",
            "k2",
            "--protocol",
            "kitti",
            "--split",
            "v",
        )
    )
    assert {"Car", "DontCare", "Pedestrian", "Cyclist", "Van", "Person_sitting"} <= set(counts)


def _tar(path, files: dict[str, bytes], truncate: bool = False):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) // 2] if truncate else data)
    return path


VOC_XML = (
    b"<annotation><filename>000001.jpg</filename><size><width>100</width><height>100</height><depth>3</depth></size>"
    b"<object><name>%s</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>%s</xmax>"
    b"<ymax>50</ymax></bndbox></object></annotation>"
)


@pytest.mark.parametrize(
    ("protocol", "make", "reason"),
    [
        (
            "coco",
            lambda p: p.with_name("missing.json").write_text(
                json.dumps(
                    {
                        "images": [{"id": 1}],
                        "categories": [{"id": 1, "name": "a"}],
                        "annotations": [{"id": 1, "image_id": 1, "category_id": 1}],
                    }
                )
            )
            and p.with_name("missing.json"),
            "missing field(s) bbox, area",
        ),
        (
            "coco",
            lambda p: p.with_name("badbox.json").write_text(
                json.dumps(
                    {
                        "images": [{"id": 1}],
                        "categories": [{"id": 1, "name": "a"}],
                        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, -5, 3], "area": 1}],
                    }
                )
            )
            and p.with_name("badbox.json"),
            "badbox.json, annotations record 1",
        ),
        (
            "voc07",
            lambda p: _tar(
                p.with_name("unknown.tar.gz"), {"VOC2007/Annotations/000001.xml": VOC_XML % (b"unicorn", b"50")}
            ),
            "unicorn",
        ),
        (
            "voc07",
            lambda p: _tar(
                p.with_name("cut.tar.gz"),
                {"VOC2007/Annotations/000001.xml": VOC_XML % (b"dog", b"50")}
                | {f"VOC2007/Annotations/{i:06d}.xml": VOC_XML % (b"dog", b"50") for i in range(2, 60)},
                truncate=True,
            ),
            "cut.tar.gz",
        ),
    ],
    ids=["coco-missing-field", "coco-bad-box", "voc-unknown-class", "voc-truncated-archive"],
)
def test_broken_ground_truth_is_refused_with_the_reason(tmp_path, protocol, make, reason):
    source = make(tmp_path / "x")
    with pytest.raises(CommandError) as error:
        run("import_split", str(source), "--benchmark", f"b-{protocol}", "--protocol", protocol, "--split", "s")
    assert reason in str(error.value)
    assert not Split.objects.exists()
