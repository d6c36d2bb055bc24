"""What every metric the site shows means: formula, direction and reference.

The glossary page lists them; tables and summaries use :func:`explain` for their
tooltips. Directions here are those of the metric itself; "as the protocol" means
the metric carries the protocol's figure (AP: higher, miss rate: lower).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HIGHER, LOWER, PROTOCOL = "higher", "lower", "as the protocol's metric"

COCO_REF = "Lin et al., Microsoft COCO (ECCV 2014); pycocotools COCOeval"
VOC_REF = "Everingham et al., The PASCAL VOC Challenge (IJCV 2010); VOCevaldet"
KITTI_REF = "Geiger et al., Are we ready for autonomous driving? (CVPR 2012); evaluate_object.cpp"
CALTECH_REF = "Dollár et al., Pedestrian Detection: An Evaluation of the State of the Art (TPAMI 2012)"
CL_REF = (
    "Díaz-Rodríguez, Lomonaco, Filliat and Maltoni, Don't forget, there is more than forgetting: "
    "new metrics for Continual Learning (arXiv:1810.13166)"
)
ROC_REF = "Fawcett, An introduction to ROC analysis (Pattern Recognition Letters 2006)"


@dataclass(frozen=True)
class Term:
    name: str
    title: str
    formula: str
    direction: str
    reference: str
    group: str

    @property
    def tooltip(self) -> str:
        better = f"{self.direction} is better" if self.direction in (HIGHER, LOWER) else f"direction {self.direction}"
        return f"{self.title}. {self.formula} ({better})"


def _t(name: str, title: str, formula: str, direction: str, reference: str, group: str) -> Term:
    return Term(name, title, formula, direction, reference, group)


_AP = "the area under the precision-recall curve"
TERMS: tuple[Term, ...] = (
    # COCO
    _t(
        "AP",
        "COCO average precision",
        f"{_AP} at 101 recall points, averaged over the classes and IoU 0.50:0.05:0.95, up to 100 detections per image",
        HIGHER,
        COCO_REF,
        "Accuracy: COCO",
    ),
    _t(
        "AP50",
        "AP at IoU 0.50",
        f"{_AP} at IoU 0.50 (the PASCAL criterion), averaged over classes",
        HIGHER,
        COCO_REF,
        "Accuracy: COCO",
    ),
    _t("AP75", "AP at IoU 0.75", f"{_AP} at IoU 0.75 (strict localisation)", HIGHER, COCO_REF, "Accuracy: COCO"),
    _t("APs", "AP, small objects", "AP over objects with area < 32² pixels", HIGHER, COCO_REF, "Accuracy: COCO"),
    _t("APm", "AP, medium objects", "AP over objects with 32² ≤ area < 96² pixels", HIGHER, COCO_REF, "Accuracy: COCO"),
    _t("APl", "AP, large objects", "AP over objects with area ≥ 96² pixels", HIGHER, COCO_REF, "Accuracy: COCO"),
    _t(
        "AR1",
        "Average recall, 1 detection",
        "recall averaged over IoU 0.50:0.95 and classes, keeping the top detection per image",
        HIGHER,
        COCO_REF,
        "Accuracy: COCO",
    ),
    _t(
        "AR10",
        "Average recall, 10 detections",
        "as AR1 with the top 10 detections per image",
        HIGHER,
        COCO_REF,
        "Accuracy: COCO",
    ),
    _t(
        "AR100",
        "Average recall, 100 detections",
        "as AR1 with the top 100 detections per image",
        HIGHER,
        COCO_REF,
        "Accuracy: COCO",
    ),
    _t(
        "ARs", "Average recall, small objects", "AR100 over objects with area < 32²", HIGHER, COCO_REF, "Accuracy: COCO"
    ),
    _t(
        "ARm",
        "Average recall, medium objects",
        "AR100 over objects with 32² ≤ area < 96²",
        HIGHER,
        COCO_REF,
        "Accuracy: COCO",
    ),
    _t(
        "ARl", "Average recall, large objects", "AR100 over objects with area ≥ 96²", HIGHER, COCO_REF, "Accuracy: COCO"
    ),
    # VOC
    _t(
        "mAP",
        "Mean average precision",
        "the mean over classes of AP at IoU ≥ 0.5 (VOC 2007: 11-point interpolated; 2010+: all points; KITTI: over its three classes)",
        HIGHER,
        VOC_REF,
        "Accuracy: VOC and KITTI",
    ),
    _t(
        "AP/<class>",
        "AP of one class",
        "the class's area under the precision-recall curve at IoU ≥ 0.5, difficult objects ignored",
        HIGHER,
        VOC_REF,
        "Accuracy: VOC and KITTI",
    ),
    _t(
        "<class>/<difficulty>",
        "KITTI AP of one class and difficulty",
        "AP over 40 recall positions; Car at IoU 0.7, Pedestrian and Cyclist at 0.5; easy/moderate/hard by box height, occlusion and truncation (/R11: the old 11 recall positions)",
        HIGHER,
        KITTI_REF,
        "Accuracy: VOC and KITTI",
    ),
    # KAIST
    _t(
        "MR_all",
        "Log-average miss rate (MR⁻²)",
        "exp(mean(log miss rate)) at nine FPPI from 10⁻² to 10⁰, the Reasonable setting, all images",
        LOWER,
        CALTECH_REF,
        "Accuracy: pedestrians (KAIST)",
    ),
    _t(
        "MR_day",
        "Log-average miss rate, day",
        "MR⁻² over the daytime images",
        LOWER,
        CALTECH_REF,
        "Accuracy: pedestrians (KAIST)",
    ),
    _t(
        "MR_night",
        "Log-average miss rate, night",
        "MR⁻² over the night-time images",
        LOWER,
        CALTECH_REF,
        "Accuracy: pedestrians (KAIST)",
    ),
    _t(
        "AP50_<subset>",
        "AP at IoU 0.5 on KAIST",
        "area under the precision-recall curve at IoU 0.5, Reasonable setting",
        HIGHER,
        CALTECH_REF,
        "Accuracy: pedestrians (KAIST)",
    ),
    # analyses
    _t(
        "AUC",
        "Image-level ROC AUC, classes pooled",
        "area under TPR = TP images / positive images against FPR = FP images / negative images, each (image, class) scored by its best detection of the class",
        HIGHER,
        ROC_REF,
        "Analysis",
    ),
    _t(
        "AUC_macro",
        "Image-level ROC AUC, mean over classes",
        "the mean of the per-class image-level AUCs (classes with a positive and a negative image)",
        HIGHER,
        ROC_REF,
        "Analysis",
    ),
    _t(
        "precision",
        "Precision",
        "TP / (TP + FP) at the chosen IoU and confidence threshold",
        HIGHER,
        VOC_REF,
        "Analysis",
    ),
    _t("recall", "Recall", "TP / (TP + FN)", HIGHER, VOC_REF, "Analysis"),
    _t(
        "F1",
        "F1 score",
        "2TP / (2TP + FP + FN), the harmonic mean of precision and recall",
        HIGHER,
        VOC_REF,
        "Analysis",
    ),
    _t(
        "FPPI",
        "False positives per image",
        "FP / number of images, the x axis of the FROC (miss rate) curve",
        LOWER,
        CALTECH_REF,
        "Analysis",
    ),
    # transfer (R[i][j]: the matrix metric of the model after stage i on domain j; 1 = source, N = target)
    _t(
        "source_before",
        "Source, before adaptation",
        "R[1][1]: the source-only model on the source domain",
        PROTOCOL,
        CL_REF,
        "Transfer",
    ),
    _t(
        "source_after",
        "Source, after adaptation",
        "R[N][1]: the final model on the source domain",
        PROTOCOL,
        CL_REF,
        "Transfer",
    ),
    _t(
        "target_before",
        "Target, as-is",
        "R[1][N]: the source-only model on the target domain",
        PROTOCOL,
        CL_REF,
        "Transfer",
    ),
    _t(
        "target_after", "Target, adapted", "R[N][N]: the final model on the target domain", PROTOCOL, CL_REF, "Transfer"
    ),
    _t(
        "gain",
        "Transfer gain",
        "R[N][N] - R[1][N], signed so that positive is an improvement",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
    _t("gain_relative", "Relative transfer gain", "gain / |R[1][N]|", HIGHER, CL_REF, "Transfer"),
    _t(
        "forgetting",
        "Forgetting",
        "R[1][1] - R[N][1], signed so that positive means the source got worse",
        LOWER,
        CL_REF,
        "Transfer",
    ),
    _t("forgetting_relative", "Relative forgetting", "forgetting / |R[1][1]|", LOWER, CL_REF, "Transfer"),
    _t(
        "gap_before",
        "Domain gap before",
        "R[1][1] - R[1][N] (signed: positive means the target is harder)",
        LOWER,
        CL_REF,
        "Transfer",
    ),
    _t("gap_after", "Domain gap after", "R[N][1] - R[N][N]", LOWER, CL_REF, "Transfer"),
    _t(
        "gap_closed",
        "Gap closed",
        "1 - gap_after / gap_before: the share of the domain gap adaptation removed",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
    _t(
        "ACC",
        "Accuracy (ACC)",
        "eq. (1): the mean of R[i][j] over i ≥ j, each model on the domains it has seen",
        PROTOCOL,
        CL_REF,
        "Transfer",
    ),
    _t(
        "BWT",
        "Backward transfer (BWT)",
        "eq. (2): the mean of R[i][j] - R[j][j] over i > j, negative when the model forgets",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
    _t("REM", "Remembering (REM)", "eq. (3): 1 - |min(BWT, 0)|", HIGHER, CL_REF, "Transfer"),
    _t("BWT_plus", "Positive backward transfer (BWT⁺)", "eq. (4): max(BWT, 0)", HIGHER, CL_REF, "Transfer"),
    _t(
        "FWT",
        "Forward transfer (FWT)",
        "eq. (5): the mean of R[i][j] over i < j, each model on domains still to come",
        PROTOCOL,
        CL_REF,
        "Transfer",
    ),
    _t(
        "MS",
        "Model size efficiency (MS)",
        "eq. (6): min(1, mean of Mem(θ₁) / Mem(θᵢ)) over stages; self-reported parameters",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
    _t(
        "SSS",
        "Samples storage size efficiency (SSS)",
        "eq. (7): 1 - min(1, mean of Mem(Mᵢ) / Mem(D)); self-reported replay samples",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
    _t(
        "CE",
        "Computational efficiency (CE)",
        "eq. (8): min(1, mean of compute(stage 1) / compute(stage i)); self-reported GPU hours",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
    _t(
        "CL_score",
        "CL score",
        "eq. (9): the weighted sum of ACC, REM, BWT⁺, FWT, MS, SSS and CE (weights summing to 1)",
        HIGHER,
        CL_REF,
        "Transfer",
    ),
)

_BY_NAME = {term.name: term for term in TERMS}
_PATTERNS = (
    (re.compile(r"^AP/.+$"), "AP/<class>"),
    (re.compile(r"^AP50_.+$"), "AP50_<subset>"),
    (re.compile(r"^[A-Za-z_]+/(easy|moderate|hard)(/R11)?$"), "<class>/<difficulty>"),
)


def term(name: str) -> Term | None:
    found = _BY_NAME.get(name)
    if found is None:
        found = next((_BY_NAME[key] for pattern, key in _PATTERNS if pattern.match(name)), None)
    return found


def explain(name: str) -> str:
    found = term(name)
    return found.tooltip if found else ""


def anchor(name: str) -> str:
    """The glossary page's anchor of the term that explains ``name``."""
    found = term(name)
    return "term-" + re.sub(r"[^A-Za-z0-9]+", "-", found.name).strip("-") if found else ""


def grouped() -> list[tuple[str, list[Term]]]:
    groups: dict[str, list[Term]] = {}
    for entry in TERMS:
        groups.setdefault(entry.group, []).append(entry)
    return list(groups.items())
