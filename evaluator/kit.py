"""Starter kits: what a participant needs to predict, built from a split's images and categories.

A kit never holds a box of the ground truth, nor which images are public: ``images.json``
lists every test image (public and private together) sorted by id, with ``id``,
``file_name``, ``width``, ``height`` (null when the split does not record them) and
``domain``; ``categories.json`` lists ``id``, ``name`` and ``supercategory``. A kit zip
also holds ``kit.json`` (the track, its kind, each domain's protocol, label map and
categories: what :func:`check` needs), a sample submission in the track's format that
the server accepts (a few random boxes per image from a constant seed, so it scores
near zero), and ``FORMAT.md``, the format guide.

:func:`check` is the check the server runs before it queues an upload, with only the
kit: the file's format, its image ids, categories, stages and domains. It parses the
upload with the protocol's own ``load_results`` against a "reference" ground truth that
holds the kit's images and categories and no boxes, so the messages are the scorer's.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from .degenerate import box_warnings
from .errors import InvalidInput
from .label_map import remap_coco_results
from .magnitudes import check_magnitudes
from .protocols import get_protocol
from .protocols.spec import SPECS
from .transfer_archive import read_upload, relabel

KIT_VERSION = 1
SAMPLE_SEED = 20261203
BOXES_PER_IMAGE = 2
# Sizes assumed for the sample boxes when the split does not record them.
DEFAULT_SIZE = {"kitti": (1242, 375), "kaist": (640, 512)}
RESULT_EXTENSION = {name: spec.result_extension for name, spec in SPECS.items()}


@dataclass(frozen=True)
class DomainKit:
    """One split as a participant sees it.

    ``images``: dicts with id, file_name, width, height, domain, sorted by id.
    ``categories``: dicts with id, name, supercategory: the categories the split is scored on.
    ``name``: the domain's name in transfer archives ("" on an accuracy track).
    ``label_map``: cross-dataset domains, the source's category name -> this split's class;
    predictions on such a domain use the source's categories.
    """

    protocol: str
    images: tuple[dict[str, Any], ...]
    categories: tuple[dict[str, Any], ...]
    name: str = ""
    label_map: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kit:
    """A track's kit: one domain on an accuracy track, the ordered sequence on a transfer track."""

    track: str
    kind: str  # "accuracy" or "transfer"
    domains: tuple[DomainKit, ...]

    @property
    def is_transfer(self) -> bool:
        return self.kind == "transfer"

    @property
    def protocol(self) -> str:
        return self.domains[0].protocol

    def upload_categories(self, domain: DomainKit) -> tuple[dict[str, Any], ...]:
        """The categories predictions on ``domain`` are written in."""
        return self.domains[0].categories if domain.label_map else domain.categories


# --------------------------------------------------------------------------- building


def split_kit(gt: Any, *, protocol: str, domain: str = "") -> DomainKit:
    """The kit of one split: its images and categories (never its boxes), sorted by id."""
    builder = {"coco": _coco_kit, "voc07": _voc_kit, "voc12": _voc_kit, "kitti": _kitti_kit, "kaist": _kaist_kit}
    get_protocol(protocol)  # an unknown protocol fails here, with the engine's message
    images, categories = builder[protocol](gt, domain)
    images.sort(key=lambda image: image["id"])
    return DomainKit(protocol=protocol, images=tuple(images), categories=tuple(categories))


def _image(image_id: Any, file_name: str, width: Any, height: Any, domain: str) -> dict[str, Any]:
    return {
        "id": image_id,
        "file_name": file_name,
        "width": None if width is None else int(width),
        "height": None if height is None else int(height),
        "domain": domain,
    }


def _coco_kit(gt: Any, domain: str) -> tuple[list[dict], list[dict]]:
    images = [
        _image(
            int(image_id),
            str(meta.get("file_name", f"{int(image_id):012d}.jpg")),
            meta.get("width"),
            meta.get("height"),
            str(meta.get("domain", meta.get("timeofday", domain)) or domain),
        )
        for image_id, meta in zip(gt.image_ids, gt.image_meta, strict=True)
    ]
    supercategories = gt.category_supercategories or ("",) * len(gt.category_ids)
    categories = [
        {"id": int(i), "name": name, "supercategory": supercategory}
        for i, name, supercategory in zip(gt.category_ids, gt.category_names, supercategories, strict=True)
    ]
    return images, categories


def _voc_kit(gt: Any, domain: str) -> tuple[list[dict], list[dict]]:
    images = [
        _image(image_id, f"JPEGImages/{image_id}.jpg", w, h, domain)
        for image_id, w, h in zip(gt.image_ids, gt.width, gt.height, strict=True)
    ]
    categories = [{"id": k + 1, "name": name, "supercategory": ""} for k, name in enumerate(gt.class_names)]
    return images, categories


def _kitti_kit(gt: Any, domain: str) -> tuple[list[dict], list[dict]]:
    from .formats.kitti import CLASSES

    images = [_image(str(image_id), f"image_2/{image_id}.png", None, None, domain) for image_id in gt.image_ids]
    categories = [{"id": k + 1, "name": name, "supercategory": ""} for k, name in enumerate(CLASSES)]
    return images, categories


def _kaist_kit(gt: Any, domain: str) -> tuple[list[dict], list[dict]]:
    width, height = DEFAULT_SIZE["kaist"]
    images = [
        _image(int(image_id), name, width, height, "night" if night else "day")
        for image_id, name, night in zip(gt.image_ids, gt.image_names, gt.is_night, strict=True)
    ]
    categories = [
        {"id": int(c), "name": "person" if c == gt.person_category_id else f"category {c}", "supercategory": ""}
        for c in sorted(gt.category_ids)
    ]
    return images, categories


def domain_kit_to_json(kit: DomainKit, *, checksum: str = "") -> bytes:
    """A split's kit as stored beside its ground truth, with the checksum of the file it was built from."""
    data = {
        "version": KIT_VERSION,
        "checksum": checksum,
        "protocol": kit.protocol,
        "images": kit.images,
        "categories": kit.categories,
    }
    return json.dumps(data, separators=(",", ":")).encode()


def domain_kit_from_json(data: bytes) -> tuple[DomainKit, str]:
    """The kit and the checksum :func:`domain_kit_to_json` stored; an older version reads as outdated."""
    parsed = json.loads(data)
    kit = DomainKit(protocol=parsed["protocol"], images=tuple(parsed["images"]), categories=tuple(parsed["categories"]))
    return kit, parsed.get("checksum", "") if parsed.get("version") == KIT_VERSION else ""


def track_kit(track: str, domains: Sequence[tuple[str, DomainKit, Mapping[str, str]]], *, transfer: bool) -> Kit:
    """A track's kit from its splits' kits: ``domains`` holds (name, split kit, label map) in order."""
    parts = []
    for name, split, label_map in domains:
        images = split.images
        if transfer:
            images = tuple({**image, "domain": name} for image in images)
        parts.append(replace(split, name=name if transfer else "", images=images, label_map=dict(label_map)))
    return Kit(track=track, kind="transfer" if transfer else "accuracy", domains=tuple(parts))


# --------------------------------------------------------------------------- the zip


def manifest(kit: Kit) -> dict[str, Any]:
    """``kit.json``: what :func:`check` needs besides ``images.json``."""
    n = len(kit.domains)
    return {
        "version": KIT_VERSION,
        "track": kit.track,
        "kind": kit.kind,
        "stages": n if kit.is_transfer else 1,
        "sample_submission": sample_name(kit),
        "domains": [
            {
                "name": d.name,
                "protocol": d.protocol,
                "label_map": dict(d.label_map),
                "categories": list(d.categories),
            }
            for d in kit.domains
        ],
    }


def sample_name(kit: Kit) -> str:
    extension = ".zip" if kit.is_transfer else RESULT_EXTENSION[kit.protocol]
    return f"sample_submission{extension}"


def public_images(kit: Kit) -> list[dict[str, Any]]:
    """``images.json``: every domain's images, each domain sorted by id."""
    return [image for domain in kit.domains for image in domain.images]


def public_categories(kit: Kit) -> list[dict[str, Any]]:
    """``categories.json``: the categories uploads use (on a transfer track, with the domains using each)."""
    if not kit.is_transfer:
        return list(kit.domains[0].categories)
    entries: dict[tuple[Any, str], dict[str, Any]] = {}
    for domain in kit.domains:
        for category in kit.upload_categories(domain):
            entry = entries.setdefault((category["id"], category["name"]), {**category, "domains": []})
            entry["domains"].append(domain.name)
    return list(entries.values())


def write_zip(kit: Kit) -> bytes:
    """The kit as participants download it; the same kit makes the same bytes."""
    from .guide import format_guide

    files = {
        "kit.json": json.dumps(manifest(kit), indent=1),
        "images.json": json.dumps(public_images(kit), indent=0),
        "categories.json": json.dumps(public_categories(kit), indent=1),
        "FORMAT.md": format_guide(kit),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(_entry(name), text)
        archive.writestr(_entry(sample_name(kit)), sample_submission(kit))
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def read_kit(path: str | Path) -> Kit:
    """A kit as written by :func:`write_zip`, zipped or unzipped into a folder; raises InvalidInput otherwise."""
    path = Path(path)
    try:
        info, images = _kit_files(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput.single(path.name, f"is not a starter kit zip ({exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput.single(path.name, f"holds a damaged kit file ({exc})") from None
    if not isinstance(info, dict) or info.get("version") != KIT_VERSION:
        version = info.get("version") if isinstance(info, dict) else None
        raise InvalidInput.single(path.name, f"is a kit of version {version}; expected {KIT_VERSION}")
    try:
        transfer = info["kind"] == "transfer"
        domains = tuple(
            DomainKit(
                protocol=entry["protocol"],
                images=tuple(i for i in images if not transfer or i["domain"] == entry["name"]),
                categories=tuple(entry["categories"]),
                name=entry["name"],
                label_map=entry.get("label_map") or {},
            )
            for entry in info["domains"]
        )
        return Kit(track=info["track"], kind=info["kind"], domains=domains)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput.single(path.name, f"holds a damaged kit.json or images.json (at {exc})") from None


def _kit_files(path: Path) -> tuple[Any, Any]:
    wanted = ("kit.json", "images.json")
    if path.is_dir():
        data = {name: (path / name).read_bytes() for name in wanted if (path / name).is_file()}
    else:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            data = {name: archive.read(name) for name in wanted if name in names}
    missing = [name for name in wanted if name not in data]
    if missing:
        raise InvalidInput.single(
            path.name, f"is not a starter kit: {', '.join(missing)} missing; download the track's kit"
        )
    return json.loads(data["kit.json"]), json.loads(data["images.json"])


# --------------------------------------------------------------------------- checking


def reference(domain: DomainKit) -> Any:
    """A ground truth of the protocol holding the kit's images and categories and no box."""
    from .formats import coco, kaist, kitti, voc

    empty_int = np.zeros(0, dtype=np.int64)
    empty_float = np.zeros(0, dtype=np.float64)
    boxes = np.zeros((0, 4), dtype=np.float64)
    images = domain.images
    if domain.protocol == "coco":
        return coco.CocoGroundTruth(
            source="kit",
            image_ids=np.array([i["id"] for i in images], dtype=np.int64),
            image_meta=tuple({k: v for k, v in i.items() if k != "id"} for i in images),
            category_ids=np.array([c["id"] for c in domain.categories], dtype=np.int64),
            category_names=tuple(c["name"] for c in domain.categories),
            ann_image=empty_int, ann_category=empty_int, ann_id=empty_int,
            bbox=boxes, area=empty_float, iscrowd=np.zeros(0, dtype=bool),
            category_supercategories=tuple(c.get("supercategory", "") for c in domain.categories),
        )  # fmt: skip  # empty fields grouped a line
    if domain.protocol in ("voc07", "voc12"):
        return voc.VocGroundTruth(
            source="kit",
            image_ids=tuple(str(i["id"]) for i in images),
            width=np.array([i["width"] or 0 for i in images], dtype=np.int64),
            height=np.array([i["height"] or 0 for i in images], dtype=np.int64),
            box_image=empty_int, box_class=empty_int, xyxy=boxes,
            difficult=np.zeros(0, dtype=bool), truncated=np.zeros(0, dtype=bool),
            class_names=tuple(c["name"] for c in domain.categories),
        )  # fmt: skip  # empty fields grouped a line
    if domain.protocol == "kitti":
        return kitti.KittiGroundTruth(
            source="kit",
            image_ids=np.array([str(i["id"]) for i in images], dtype=str),
            box_image=empty_int, type_name=np.zeros(0, dtype=str), truncation=empty_float,
            occlusion=empty_int, alpha=empty_float, xyxy=boxes, dimensions=np.zeros((0, 3)),
            location=np.zeros((0, 3)), rotation_y=empty_float,
        )  # fmt: skip  # empty fields grouped a line
    if domain.protocol == "kaist":
        person = next(c["id"] for c in domain.categories if c["name"] == "person")
        return kaist.KaistGroundTruth(
            source="kit",
            image_ids=np.array([i["id"] for i in images], dtype=np.int64),
            image_names=tuple(i["file_name"] for i in images),
            is_night=np.array([i["domain"] == "night" for i in images], dtype=bool),
            category_ids=frozenset(int(c["id"]) for c in domain.categories),
            person_category_id=int(person),
            box_image=empty_int, box_id=empty_int, xywh=boxes, height=empty_float,
            occlusion=empty_int, ignore=np.zeros(0, dtype=bool),
        )  # fmt: skip  # empty fields grouped a line
    get_protocol(domain.protocol)
    raise ValueError(f"no kit reference for protocol {domain.protocol!r}")


def check(kit: Kit, path: str | Path) -> list[str]:
    """Everything the server checks before queueing ``path``; raises InvalidInput with its messages.

    Returns warnings: the degenerate boxes the file holds, which are scored as the official tools score them.
    """
    path = Path(path)
    if not kit.is_transfer:
        domain = kit.domains[0]
        results = get_protocol(domain.protocol).load_results(path, reference(domain))
        check_magnitudes(results)
        return box_warnings(results)
    names = [d.name for d in kit.domains]
    upload = read_upload(path, domains=names)
    source = {int(c["id"]): c["name"] for c in kit.domains[0].categories} if kit.protocol == "coco" else {}
    by_name = {d.name: d for d in kit.domains}
    warnings = []
    with tempfile.TemporaryDirectory() as tmp:
        for (_, name), cell in sorted(upload.cells.items()):
            domain = by_name[name]
            try:
                written = cell.write(Path(tmp))
                if domain.label_map:
                    mapped = written.with_name(f"mapped-{written.name}")
                    remap_coco_results(written, mapped, source_categories=source, label_map=domain.label_map)
                    written = mapped
                results = get_protocol(domain.protocol).load_results(written, reference(domain))
                check_magnitudes(results)
            except InvalidInput as error:
                raise relabel(error, path.name, cell) from None
            warnings += box_warnings(results, f"{path.name}: {cell.name.rstrip('/')}")
    return warnings


# --------------------------------------------------------------------------- sample submissions


def sample_submission(kit: Kit) -> bytes:
    """A file in the track's format that the server accepts: random boxes from a constant seed."""
    rng = np.random.default_rng(SAMPLE_SEED)
    if not kit.is_transfer:
        return _pack(_sample_cell(kit, kit.domains[0], rng), single=RESULT_EXTENSION[kit.protocol] != ".zip")
    n = len(kit.domains)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for domain in kit.domains:
            files = _sample_cell(kit, domain, rng)
            for stage in sorted({1, n}):
                if len(files) == 1 and not _folder_format(domain):
                    ((name, data),) = files.items()
                    archive.writestr(_entry(f"stage{stage}/{domain.name}{PurePosixPath(name).suffix}"), data)
                else:
                    for name, data in files.items():
                        archive.writestr(_entry(f"stage{stage}/{domain.name}/{name}"), data)
    return buffer.getvalue()


def _folder_format(domain: DomainKit) -> bool:
    return not domain.label_map and domain.protocol in ("voc07", "voc12", "kitti")


def _pack(files: dict[str, bytes], *, single: bool) -> bytes:
    if single:
        ((_, data),) = files.items()
        return data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(_entry(name), data)
    return buffer.getvalue()


def _boxes(domain: DomainKit, rng: np.random.Generator) -> list[tuple[dict, int, list[float], float]]:
    """(image, category index, [x, y, w, h], score) for a few boxes per image, inside the image."""
    fallback = DEFAULT_SIZE.get(domain.protocol, (640, 480))
    out = []
    for image in domain.images:
        width = image["width"] or fallback[0]
        height = image["height"] or fallback[1]
        for _ in range(BOXES_PER_IMAGE):
            w = float(np.round(rng.uniform(0.1, 0.4) * width, 1))
            h = float(np.round(rng.uniform(0.15, 0.5) * height, 1))
            x = float(np.round(rng.uniform(0, width - w - 1), 1))
            y = float(np.round(rng.uniform(0, height - h - 1), 1))
            out.append((image, int(rng.integers(0, 1 << 30)), [x, y, w, h], float(np.round(rng.uniform(0.05, 1), 3))))
    return out


def _sample_cell(kit: Kit, domain: DomainKit, rng: np.random.Generator) -> dict[str, bytes]:
    """The sample files of one domain: name -> bytes."""
    boxes = _boxes(domain, rng)
    if domain.label_map or domain.protocol == "coco":
        categories = kit.upload_categories(domain)
        if domain.label_map:
            categories = tuple(c for c in categories if domain.label_map.get(c["name"]))
        records = [
            {"image_id": image["id"], "category_id": categories[k % len(categories)]["id"], "bbox": box, "score": s}
            for image, k, box, s in boxes
        ]
        return {"results.json": json.dumps(records, separators=(",", ":")).encode()}
    if domain.protocol in ("voc07", "voc12"):
        lines: dict[str, list[str]] = {c["name"]: [] for c in domain.categories}
        for image, k, (x, y, w, h), s in boxes:
            name = domain.categories[k % len(domain.categories)]["name"]
            # VOC pixels are 1-based and inclusive: x1 = x + 1, x2 = x + w.
            lines[name].append(f"{image['id']} {s:.3f} {x + 1:.1f} {y + 1:.1f} {x + w:.1f} {y + h:.1f}")
        return {f"comp4_det_test_{name}.txt": ("\n".join(rows) + "\n").encode() for name, rows in lines.items() if rows}
    if domain.protocol == "kitti":
        files: dict[str, list[str]] = {str(image["id"]): [] for image in domain.images}
        for image, k, (x, y, w, h), s in boxes:
            name = domain.categories[k % len(domain.categories)]["name"]
            files[str(image["id"])].append(
                f"{name} -1 -1 -10 {x:.2f} {y:.2f} {x + w:.2f} {y + h:.2f} -1 -1 -1 -1000 -1000 -1000 -10 {s:.3f}"
            )
        return {f"{image_id}.txt": ("\n".join(rows) + "\n").encode() for image_id, rows in files.items()}
    if domain.protocol == "kaist":
        rows = [f"{image['id'] + 1},{x:.1f},{y:.1f},{w:.1f},{h:.1f},{s:.3f}" for image, _, (x, y, w, h), s in boxes]
        return {"results.txt": ("\n".join(rows) + "\n").encode()}
    raise ValueError(f"no sample submission for protocol {domain.protocol!r}")


__all__ = [
    "DomainKit",
    "Kit",
    "check",
    "domain_kit_from_json",
    "domain_kit_to_json",
    "read_kit",
    "reference",
    "sample_submission",
    "split_kit",
    "track_kit",
    "write_zip",
]
