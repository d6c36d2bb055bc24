"""The format guide: every upload format with a tiny example and its conventions.

The same sections make a kit's ``FORMAT.md`` and the site's format page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .kit import Kit


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    protocols: tuple[str, ...]
    text: str
    example_name: str
    example: str

    @property
    def parts(self) -> list[tuple[bool, str]]:
        """The text as (is code, piece) pairs: Markdown's `code` spans, for pages that are not Markdown."""
        pieces = re.split(r"`([^`]*)`", self.text)
        return [(i % 2 == 1, piece) for i, piece in enumerate(pieces) if piece]


SECTIONS: tuple[Section, ...] = (
    Section(
        "coco",
        "COCO results JSON",
        ("coco", "kaist", "voc07", "voc12"),
        "One JSON list of detections. `image_id` and `category_id` are the integer ids of images.json and "
        "categories.json. `bbox` is [x, y, width, height] in pixels, x and y the top-left corner (0-based, "
        "as in the COCO annotations). `score` is the confidence; per image and category only the 100 "
        "best-scored detections count. Category ids may have gaps (COCO's run 1 to 90 with 80 used): "
        "use the ids of categories.json. A box of zero or negative width or height is kept and scored as "
        "pycocotools scores it (its area w x h is not positive, so it matches nothing); it is listed as a warning.",
        "results.json",
        '[{"image_id": 397133, "category_id": 1, "bbox": [102.5, 40.0, 80.2, 210.9], "score": 0.91},\n'
        ' {"image_id": 397133, "category_id": 18, "bbox": [300.0, 220.5, 64.0, 48.0], "score": 0.42}]',
    ),
    Section(
        "voc",
        "PASCAL VOC class files",
        ("voc07", "voc12"),
        "A zip of one devkit file per class, named `<prefix>_det_<set>_<class>.txt` (for example "
        "`comp4_det_test_car.txt`), each line `image_id score x1 y1 x2 y2`. Image ids are the strings of "
        "images.json (`000001`). Corners are VOC's 1-based, inclusive pixels: a box from the image's first "
        "pixel column to its tenth has x1 = 1, x2 = 10. A COCO results JSON works too, with VOC's "
        "`category_id` 1 to 20 in categories.json order (or `category_name`), and `bbox` [x, y, w, h] "
        "0-based: x1 = x + 1, x2 = x + w. Inverted corners (x2 < x1 or y2 < y1, as clipped darknet output "
        "has) are kept and scored as VOCevaldet scores them: such a box overlaps nothing, so it is a false "
        "positive; they are listed as warnings.",
        "comp4_det_test_car.txt",
        "000004 0.912 12.0 140.5 206.0 312.0\n000004 0.310 300.0 80.0 350.0 120.0\n000006 0.774 1.0 1.0 97.5 60.0",
    ),
    Section(
        "kitti",
        "KITTI label files",
        ("kitti",),
        "A zip of one `<image id>.txt` per image (`000123.txt`; an image without a file has no "
        "detections), one object a line with the devkit's 16 fields: `type truncated occluded alpha x1 y1 "
        "x2 y2 h w l x y z ry score`. Only type (Car, Pedestrian or Cyclist are scored; other types take part "
        "as the devkit lets them), the 0-based pixel corners x1 y1 x2 y2 and the score matter for 2D "
        "detection: write -1 -1 -10 for truncated, occluded and alpha and -1 -1 -1 -1000 -1000 -1000 -10 for "
        "the 3D fields. A box with x2 < x1 or y2 < y1 is kept and scored as evaluate_object.cpp scores it "
        "(no overlap, a false positive unless it is too small to count); it is listed as a warning.",
        "000123.txt",
        "Car -1 -1 -10 387.63 181.54 423.81 203.12 -1 -1 -1 -1000 -1000 -1000 -10 0.93\n"
        "Pedestrian -1 -1 -10 712.40 143.00 810.73 307.92 -1 -1 -1 -1000 -1000 -1000 -10 0.61",
    ),
    Section(
        "kaist",
        "KAIST detection text",
        ("kaist",),
        "One text file, one person detection a line: `image_id,x,y,w,h,score` with 1-based image ids: "
        "the image with id k in images.json is written k + 1 (the k + 1-th line of the benchmark's "
        "test-all-20.txt). x, y are the top-left corner in pixels, w and h must be positive. A COCO results "
        "JSON with the 0-based ids of images.json and the person category id is accepted too.",
        "results.txt",
        "1,291.0,212.5,28.0,66.0,0.87\n1,430.2,198.0,20.5,50.0,0.31\n2,10.0,220.0,31.0,75.5,0.66",
    ),
    Section(
        "transfer",
        "Transfer archives",
        ("transfer",),
        "A transfer track ranks a sequence of domains D1..DN (D1 is the source). Upload one zip with the "
        "predictions of the model after each stage on each domain's images: `stage<i>/<domain>.<ext>`, or "
        "a folder `stage<i>/<domain>/` for formats made of several files (VOC class files, KITTI labels). "
        "Stages 1 (the source-only model) and N (the final model) are required on every domain; the "
        "others unlock BWT and FWT. Each file is in its domain's format; on a cross-dataset domain with a "
        "label map, predictions stay in the source's categories (a COCO results JSON) and the label map "
        "turns them into the domain's classes. An optional `efficiency.json` holds self-reported figures, "
        "one value per stage.",
        "submission.zip",
        "stage1/day.json\nstage1/night.json\nstage2/day.json\nstage2/night.json\n"
        'efficiency.json   {"parameters_millions": [41.3, 41.3], "replay_samples": [0, 500], '
        '"gpu_hours": [12.0, 1.5]}',
    ),
)


def sections_for(protocols: set[str]) -> list[Section]:
    return [s for s in SECTIONS if protocols & set(s.protocols)]


def format_guide(kit: Kit | None = None) -> str:
    """Markdown: the whole guide, with the track's own formats first when ``kit`` is given."""
    lines = ["# Submission formats", ""]
    if kit is not None:
        protocols = {d.protocol for d in kit.domains} | ({"transfer"} if kit.is_transfer else set())
        lines += [
            f"Track `{kit.track}` ({kit.kind}; protocol{'s' if len(protocols) > 1 else ''} "
            f"{', '.join(sorted(protocols))}).",
            "",
            "This kit holds images.json (every test image: id, file_name, width, height, domain; sorted by id, "
            "public and private together), categories.json (id, name, supercategory), kit.json (what the "
            "local check needs) and a sample submission in this track's format, which the server accepts.",
            "",
            "Check a file before uploading, with exactly the server's checks:",
            "",
            "    python -m evaluator check --kit kit.zip --results YOUR_FILE",
            "",
        ]
        first = sections_for(protocols)
        rest = [s for s in SECTIONS if s not in first]
    else:
        first, rest = list(SECTIONS), []
    for section in first + rest:
        lines += [f"## {section.title}", "", section.text, "", f"Example `{section.example_name}`:", "", "```"]
        lines += [section.example, "```", ""]
    return "\n".join(lines)
