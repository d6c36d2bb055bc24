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

import evaluator
from evaluator import transfer
from evaluator.transfer_archive import Cell, read_upload, relabel

from . import ground_truth
from .explorer import explorer_data
from .models import Score, Submission, Track, TrackDomain

BOOTSTRAP_RESAMPLES = 200


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


def matrix_metric(track: Track) -> str:
    return track.matrix_metric or evaluator.get_protocol(track.protocol).PRIMARY


def matrix_higher_is_better(track: Track) -> bool:
    return bool(evaluator.get_protocol(track.protocol).HIGHER_IS_BETTER)


def domains(track: Track) -> list[TrackDomain]:
    return list(track.domains.select_related("split__benchmark").order_by("position"))


def check_upload(track: Track, path: Path) -> None:
    """The structural check at upload time, before any ground truth is read."""
    if not track.is_transfer:
        evaluator.load_results(path, protocol=track.protocol, ground_truth=None)
        return
    upload = read_upload(path, domains=[d.name for d in domains(track)])
    with tempfile.TemporaryDirectory() as tmp:
        for cell in upload.cells.values():
            _load(track, path.name, cell, Path(tmp), None)


def _load(track: Track, archive: str, cell: Cell, folder: Path, gt: Any) -> Any:
    try:
        return evaluator.load_results(cell.write(folder), protocol=track.protocol, ground_truth=gt)
    except evaluator.InvalidInput as error:
        raise relabel(error, archive, cell) from None


def evaluate(submission: Submission) -> tuple[list[CellResult], list[TransferResult]]:
    """Every evaluation of ``submission``; raises evaluator.InvalidInput when the file is at fault."""
    track = submission.track
    path = Path(submission.file.path)
    if not track.is_transfer:
        split = track.split
        gt = ground_truth.load(split)
        results = evaluator.load_results(path, protocol=track.protocol, ground_truth=gt)
        public = ground_truth.public_image_ids(split, gt)
        return [
            CellResult(
                split.pk, split.checksum, 1, subset,
                evaluator.evaluate(gt, results, protocol=track.protocol, images=images),
                explorer_data(track.protocol, gt, results, images),
                evaluator.bootstrap_interval(
                    gt, results, protocol=track.protocol, images=images, resamples=BOOTSTRAP_RESAMPLES
                ),
            )
            for subset, images in ((Score.Subset.FULL, None), (Score.Subset.PUBLIC, public))
        ], []  # fmt: skip

    sequence = domains(track)
    names = [d.name for d in sequence]
    upload = read_upload(path, domains=names)
    cells = upload.cells
    metric = matrix_metric(track)
    n = len(sequence)
    matrices = {subset: np.full((n, n), np.nan) for subset in Score.Subset.values}
    cell_results = []
    with tempfile.TemporaryDirectory() as tmp:
        for column, domain in enumerate(sequence):
            split = domain.split
            gt = ground_truth.load(split)
            public = ground_truth.public_image_ids(split, gt)
            for stage in range(1, n + 1):
                cell = cells.get((stage, domain.name))
                if cell is None:
                    continue
                results = _load(track, path.name, cell, Path(tmp), gt)
                for subset, images in ((Score.Subset.FULL, None), (Score.Subset.PUBLIC, public)):
                    evaluation = evaluator.evaluate(gt, results, protocol=track.protocol, images=images)
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
