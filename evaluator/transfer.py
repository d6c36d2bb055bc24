"""Transfer, forgetting and continual-learning metrics from a stage x domain result matrix.

``R[i][j]`` is a track's primary metric (COCO AP, MR^-2 ...) of the model after stage
``i`` on domain ``j``'s test split, both counted from 1 in the docs and from 0 in the
arrays; stage 1 is the source-only model, stage N the model adapted to the last
domain. Cells a submission did not give are NaN, and every metric that needs one is
NaN ("not available"), never zero.

Differences are oriented so that positive is good whatever the metric's direction:
for a lower-is-better metric (miss rate) a gain is a fall of the miss rate.

Sequence metrics follow Díaz-Rodríguez, Lomonaco, Filliat and Maltoni, "Don't forget,
there is more than forgetting: new metrics for Continual Learning" (arXiv:1810.13166);
each carries the paper's equation number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# The figures shown for every transfer submission, in display order.
METRIC_NAMES = (
    "source_before",
    "source_after",
    "target_before",
    "target_after",
    "gain",
    "gain_relative",
    "forgetting",
    "forgetting_relative",
    "gap_before",
    "gap_after",
    "gap_closed",
    "ACC",
    "BWT",
    "REM",
    "BWT_plus",
    "FWT",
    "MS",
    "SSS",
    "CE",
    "CL_score",
)
CL_CRITERIA = ("ACC", "REM", "BWT_plus", "FWT", "MS", "SSS", "CE")
# Figures where smaller is better; the values taken from the matrix follow the direction of its metric.
LOWER_IS_BETTER = frozenset({"forgetting", "forgetting_relative", "gap_before", "gap_after"})
MATRIX_VALUES = frozenset({"source_before", "source_after", "target_before", "target_after", "ACC", "FWT"})

NAN = float("nan")


def metric_higher_is_better(name: str, *, matrix_higher_is_better: bool) -> bool:
    """Whether a larger value of the figure ``name`` is better, for a matrix of a metric of the given direction."""
    if name in MATRIX_VALUES:
        return matrix_higher_is_better
    return name not in LOWER_IS_BETTER


def _ratio(numerator: float, denominator: float) -> float:
    if not np.isfinite(numerator) or not np.isfinite(denominator) or denominator == 0:
        return NAN
    return float(numerator / denominator)


def _mean_of(cells: list[float]) -> float:
    """The mean of all cells, or NaN when any is missing (a partial mean would mislead)."""
    if not cells or any(not np.isfinite(c) for c in cells):
        return NAN
    return float(np.mean(cells))


def pairwise(R: np.ndarray, *, higher_is_better: bool = True) -> dict[str, float]:
    """Source/target before and after adaptation, gain, forgetting and the domain gap.

    Source is domain 1, target domain N; "before" is stage 1, "after" stage N.
    """
    R = np.asarray(R, dtype=np.float64)
    n = R.shape[0]
    sign = 1.0 if higher_is_better else -1.0
    source_before, source_after = R[0, 0], R[n - 1, 0]
    target_before, target_after = R[0, n - 1], R[n - 1, n - 1]
    # "+ 0.0" turns the -0.0 of a flipped zero into 0.0.
    gain = sign * (target_after - target_before) + 0.0
    forgetting = sign * (source_before - source_after) + 0.0
    gap_before = sign * (source_before - target_before) + 0.0
    gap_after = sign * (source_after - target_after) + 0.0
    return {
        "source_before": float(source_before),
        "source_after": float(source_after),
        "target_before": float(target_before),
        "target_after": float(target_after),
        "gain": float(gain),
        "gain_relative": _ratio(gain, abs(target_before)),
        "forgetting": float(forgetting),
        "forgetting_relative": _ratio(forgetting, abs(source_before)),
        "gap_before": float(gap_before),
        "gap_after": float(gap_after),
        "gap_closed": NAN if not np.isfinite(gap_after) else 1.0 - _ratio(gap_after, gap_before),
    }


def accuracy(R: np.ndarray) -> float:
    """ACC, eq. (1): the mean of R[i][j] over i >= j (each model on the domains it has seen)."""
    R = np.asarray(R, dtype=np.float64)
    n = R.shape[0]
    return _mean_of([R[i, j] for i in range(n) for j in range(i + 1)])


def backward_transfer(R: np.ndarray, *, higher_is_better: bool = True) -> float:
    """BWT, eq. (2): the mean of R[i][j] - R[j][j] over i > j (negative when the model forgets)."""
    R = np.asarray(R, dtype=np.float64)
    n = R.shape[0]
    sign = 1.0 if higher_is_better else -1.0
    return _mean_of([sign * (R[i, j] - R[j, j]) for i in range(1, n) for j in range(i)]) + 0.0


def remembering(bwt: float) -> float:
    """REM, eq. (3): 1 - |min(BWT, 0)|."""
    return NAN if not np.isfinite(bwt) else 1.0 - abs(min(bwt, 0.0))


def positive_backward_transfer(bwt: float) -> float:
    """BWT+, eq. (4): max(BWT, 0)."""
    return NAN if not np.isfinite(bwt) else max(bwt, 0.0)


def forward_transfer(R: np.ndarray) -> float:
    """FWT, eq. (5): the mean of R[i][j] over i < j (each model on the domains still to come)."""
    R = np.asarray(R, dtype=np.float64)
    n = R.shape[0]
    return _mean_of([R[i, j] for i in range(n) for j in range(i + 1, n)])


def model_size_efficiency(parameters: Sequence[float | None] | None) -> float:
    """MS, eq. (6): min(1, mean_i(Mem(theta_1) / Mem(theta_i))) over the stages' parameter counts."""
    values = _positive(parameters)
    return NAN if values is None else min(1.0, float(np.mean(values[0] / values)))


def samples_storage_efficiency(stored: Sequence[float | None] | None, dataset_size: float | None) -> float:
    """SSS, eq. (7): 1 - min(1, mean_i(Mem(M_i) / Mem(D))), M_i the replay memory after stage i."""
    if stored is None or not stored or dataset_size is None or not dataset_size > 0:
        return NAN
    if any(value is None or not np.isfinite(value) or value < 0 for value in stored):
        return NAN
    return 1.0 - min(1.0, float(np.mean(np.asarray(stored, dtype=np.float64) / dataset_size)))


def computational_efficiency(compute: Sequence[float | None] | None) -> float:
    """CE, eq. (8), with each stage's reported training compute in place of its operation count.

    The paper divides by the operations a stage needs; participants report compute
    (GPU hours) instead, so CE here is min(1, mean_i(C_1 / C_i)): 1 when adapting
    costs no more than training the source model, falling as adaptation costs more.
    A later stage that costs nothing (a model used as is) counts as free.
    """
    if not compute or len(compute) < 2 or _positive(compute[:1]) is None:
        return NAN
    if any(v is None or not np.isfinite(v) or v < 0 for v in compute[1:]):
        return NAN
    first, later = float(compute[0] or 0), [float(v or 0) for v in compute[1:]]  # None was refused above
    ratios = [1.0] + [np.inf if v == 0 else first / v for v in later]
    return min(1.0, float(np.mean(ratios)))


def cl_score(criteria: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """CL score, eq. (9): the weighted sum of the criteria, weights summing to 1.

    With no weights, each criterion weighs the same. Every weighted criterion must
    be available: a score over fewer criteria would not compare with the others.
    """
    if weights is None:
        weights = dict.fromkeys(criteria, 1.0)
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("CL score weights must sum to a positive number")
    values = [criteria.get(name, NAN) for name in weights]
    if any(not np.isfinite(v) for v in values):
        return NAN
    return float(sum(weights[name] * criteria[name] for name in weights) / total)


def _positive(values: Sequence[float | None] | None) -> np.ndarray | None:
    if not values or any(v is None or not np.isfinite(v) or v <= 0 for v in values):
        return None
    return np.asarray(values, dtype=np.float64)


def transfer_metrics(
    R: np.ndarray,
    *,
    higher_is_better: bool = True,
    parameters: Sequence[float | None] | None = None,
    replay_samples: Sequence[float | None] | None = None,
    dataset_size: float | None = None,
    compute: Sequence[float | None] | None = None,
    weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Every metric of ``METRIC_NAMES`` for one submission's R matrix (NaN where not available).

    ACC, BWT+ and REM assume a metric in [0, 1] where higher is better; for a
    lower-is-better metric ACC and FWT average the raw values and the CL score is
    left out (NaN).
    """
    R = np.asarray(R, dtype=np.float64)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] < 2:
        raise ValueError(f"R must be a square matrix of at least 2 x 2, got shape {R.shape}")
    metrics = pairwise(R, higher_is_better=higher_is_better)
    bwt = backward_transfer(R, higher_is_better=higher_is_better)
    metrics.update(
        ACC=accuracy(R),
        BWT=bwt,
        REM=remembering(bwt),
        BWT_plus=positive_backward_transfer(bwt),
        FWT=forward_transfer(R),
        MS=model_size_efficiency(parameters),
        SSS=samples_storage_efficiency(replay_samples, dataset_size),
        CE=computational_efficiency(compute),
    )
    criteria = {name: metrics[name] for name in CL_CRITERIA}
    metrics["CL_score"] = cl_score(criteria, weights) if higher_is_better else NAN
    return {name: metrics[name] for name in METRIC_NAMES}
