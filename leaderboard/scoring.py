"""Run the engine on a submission: one evaluation per (stage, split, subset) cell.

Accuracy tracks have one cell per subset; transfer tracks one per stage and domain
given, plus the metrics derived from the stage x domain matrix.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

import evaluator
from evaluator import transfer
from evaluator.collector import collector_paused
from evaluator.label_map import remap_coco_results
from evaluator.protocols import get_spec
from evaluator.transfer_archive import Cell, read_upload, relabel

from . import files, ground_truth
from .explorer import explorer_subsets
from .models import Score, Submission, Track, TrackDomain


@dataclass(frozen=True)
class CellResult:
    split_id: int
    checksum: str
    stage: int
    subset: str
    evaluation: evaluator.Evaluation
    explorer: dict = field(default_factory=dict)
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class TransferResult:
    subset: str
    domains: list[str]
    matrix: list[list[float | None]]
    stats: dict[str, float]


def matrix_metric(track: Track, protocol: str | None = None) -> str:
    """The stat filling the matrix: the track's choice where the domain's protocol has it, else its primary."""
    module = evaluator.get_protocol(protocol or track.protocol)
    return track.matrix_metric if track.matrix_metric in module.STAT_NAMES else module.PRIMARY


def domain_protocol(domain: TrackDomain) -> str:
    """Cross-dataset tracks mix benchmarks: each domain is scored with its own protocol."""
    return domain.split.benchmark.protocol


def matrix_higher_is_better(track: Track) -> bool:
    return get_spec(track.protocol).higher_is_better(matrix_metric(track))


def domains(track: Track) -> list[TrackDomain]:
    return list(track.domains.select_related("split__benchmark").order_by("position"))


def check_upload(track: Track, path: Path) -> None:
    """The structural check at upload time, before any ground truth is read."""
    if not track.is_transfer:
        evaluator.load_results(path, protocol=track.protocol, ground_truth=None)
        return
    sequence = {d.name: d for d in domains(track)}
    upload = read_upload(path, domains=list(sequence))
    with tempfile.TemporaryDirectory() as tmp:
        for (_, name), cell in upload.cells.items():
            domain = sequence[name]
            if domain.label_map:
                continue  # predictions in the source's categories: checked when mapped at scoring
            _load(domain_protocol(domain), path.name, cell, Path(tmp), None)


def _load(protocol: str, archive: str, cell: Cell, folder: Path, gt: Any, remap: dict | None = None) -> Any:
    try:
        written = cell.write(folder)
        if remap is not None:
            mapped = written.with_name(f"mapped-{written.name}")
            remap_coco_results(written, mapped, **remap)
            written = mapped
        return evaluator.load_results(written, protocol=protocol, ground_truth=gt)
    except evaluator.InvalidInput as error:
        raise relabel(error, archive, cell) from None


def _source_categories(sequence: list[TrackDomain]) -> dict[int, str]:
    source = sequence[0]
    if not get_spec(domain_protocol(source)).category_ids:
        return {}
    gt = ground_truth.load(source.split)
    return {int(i): name for i, name in zip(gt.category_ids, gt.category_names, strict=True)}


def evaluate(submission: Submission) -> tuple[list[CellResult], list[TransferResult]]:
    """Every evaluation of ``submission``; raises evaluator.InvalidInput when the file is at fault."""
    with files.local_copy(submission.file.storage, submission.file.name) as path, collector_paused():
        return _evaluate(submission, path)


def _evaluate(submission: Submission, path: Path) -> tuple[list[CellResult], list[TransferResult]]:
    track = submission.track
    if not track.is_transfer:
        split = track.split
        gt = ground_truth.load(split)
        results = evaluator.load_results(path, protocol=track.protocol, ground_truth=gt)
        public = ground_truth.public_image_ids(split, gt)
        subsets = {Score.Subset.FULL: None, Score.Subset.PUBLIC: public}
        # One matching serves both subsets, their intervals and the explorers of both.
        matches = evaluator.match(gt, results, protocol=track.protocol)
        scored = evaluator.evaluate_subsets(
            gt,
            results,
            protocol=track.protocol,
            subsets=subsets,
            resamples=settings.SCORING_BOOTSTRAP_RESAMPLES,
            matches=matches,
        )
        evaluations = {subset: evaluation for subset, (evaluation, _) in scored.items()}
        explorers = explorer_subsets(track.protocol, gt, results, subsets, matches, evaluations)
        return [
            CellResult(split.pk, split.checksum, 1, subset, evaluation, explorers[subset], interval)
            for subset, (evaluation, interval) in scored.items()
        ], []

    sequence = domains(track)
    names = [d.name for d in sequence]
    upload = read_upload(path, domains=names)
    cells = upload.cells
    n = len(sequence)
    source_categories = _source_categories(sequence) if any(d.label_map for d in sequence) else {}
    matrices = {subset: np.full((n, n), np.nan) for subset in Score.Subset.values}
    cell_results = []
    with tempfile.TemporaryDirectory() as tmp:
        for column, domain in enumerate(sequence):
            split = domain.split
            protocol = domain_protocol(domain)
            metric = matrix_metric(track, protocol)
            remap = (
                {"source_categories": source_categories, "label_map": domain.label_map} if domain.label_map else None
            )
            gt = ground_truth.load(split)
            public = ground_truth.public_image_ids(split, gt)
            for stage in range(1, n + 1):
                cell = cells.get((stage, domain.name))
                if cell is None:
                    continue
                results = _load(protocol, path.name, cell, Path(tmp), gt, remap)
                for subset, images in ((Score.Subset.FULL, None), (Score.Subset.PUBLIC, public)):
                    evaluation = evaluator.evaluate(gt, results, protocol=protocol, images=images)
                    cell_results.append(CellResult(split.pk, split.checksum, stage, subset, evaluation))
                    matrices[subset][stage - 1, column] = evaluation.stats.get(metric, math.nan)
    transfer_results = [
        TransferResult(
            subset=subset,
            domains=names,
            matrix=[[None if math.isnan(v) else float(v) for v in row] for row in matrix],
            stats=transfer.transfer_metrics(
                matrix,
                higher_is_better=matrix_higher_is_better(track),
                dataset_size=upload.efficiency.get("training_images"),
                parameters=upload.efficiency.get("parameters_millions"),
                replay_samples=upload.efficiency.get("replay_samples"),
                compute=upload.efficiency.get("gpu_hours"),
            ),
        )
        for subset, matrix in matrices.items()
    ]
    return cell_results, transfer_results
