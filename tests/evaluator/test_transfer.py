"""Transfer and continual-learning metrics against hand-computed matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluator import transfer

NAN = float("nan")


def test_two_domains_by_hand():
    # day -> night: source-only 0.50 on day, 0.20 on night; adapted 0.40 on day, 0.35 on night.
    R = np.array([[0.50, 0.20], [0.40, 0.35]])
    m = transfer.transfer_metrics(R)
    assert m["source_before"] == 0.50 and m["source_after"] == 0.40
    assert m["target_before"] == 0.20 and m["target_after"] == 0.35
    assert m["gain"] == pytest.approx(0.15)
    assert m["gain_relative"] == pytest.approx(0.75)
    assert m["forgetting"] == pytest.approx(0.10)
    assert m["forgetting_relative"] == pytest.approx(0.20)
    assert m["gap_before"] == pytest.approx(0.30)
    assert m["gap_after"] == pytest.approx(0.05)
    assert m["gap_closed"] == pytest.approx(1 - 0.05 / 0.30)
    assert m["ACC"] == pytest.approx((0.50 + 0.40 + 0.35) / 3)  # eq. 1: i >= j
    assert m["BWT"] == pytest.approx(0.40 - 0.50)  # eq. 2
    assert m["REM"] == pytest.approx(0.90)  # eq. 3
    assert m["BWT_plus"] == 0.0  # eq. 4
    assert m["FWT"] == pytest.approx(0.20)  # eq. 5: i < j


def test_three_domains_full_matrix_by_hand():
    R = np.array(
        [
            [0.60, 0.40, 0.20],
            [0.55, 0.50, 0.30],
            [0.50, 0.48, 0.45],
        ]
    )
    m = transfer.transfer_metrics(R)
    assert m["ACC"] == pytest.approx((0.60 + 0.55 + 0.50 + 0.50 + 0.48 + 0.45) / 6)
    # BWT over (2,1), (3,1), (3,2): (0.55-0.60) + (0.50-0.60) + (0.48-0.50) = -0.17, over 3 pairs
    assert m["BWT"] == pytest.approx(-0.17 / 3)
    assert m["REM"] == pytest.approx(1 - 0.17 / 3)
    assert m["FWT"] == pytest.approx((0.40 + 0.20 + 0.30) / 3)
    assert m["gain"] == pytest.approx(0.25)
    assert m["forgetting"] == pytest.approx(0.10)
    assert m["gap_before"] == pytest.approx(0.40)
    assert m["gap_after"] == pytest.approx(0.05)


def test_positive_backward_transfer():
    R = np.array([[0.50, 0.20], [0.55, 0.35]])
    m = transfer.transfer_metrics(R)
    assert m["BWT"] == pytest.approx(0.05)
    assert m["BWT_plus"] == pytest.approx(0.05)
    assert m["REM"] == 1.0
    assert m["forgetting"] == pytest.approx(-0.05)


def test_missing_cells_are_not_available_never_zero():
    # Rows 1 and N only, of a 3-domain track: stage 2 is missing.
    R = np.array(
        [
            [0.60, 0.40, 0.20],
            [NAN, NAN, NAN],
            [0.50, 0.48, 0.45],
        ]
    )
    m = transfer.transfer_metrics(R)
    assert m["gain"] == pytest.approx(0.25)
    assert m["forgetting"] == pytest.approx(0.10)
    for name in ("ACC", "BWT", "REM", "BWT_plus", "FWT"):
        assert math.isnan(m[name]), name


def test_zero_denominators():
    R = np.array([[0.30, 0.0], [0.30, 0.30]])
    m = transfer.transfer_metrics(R)
    assert math.isnan(m["gain_relative"])  # target was at 0 before
    R = np.array([[0.30, 0.30], [0.30, 0.30]])
    m = transfer.transfer_metrics(R)
    assert m["gap_before"] == 0.0
    assert math.isnan(m["gap_closed"])


def test_lower_is_better_metrics_orient_gains_as_improvements():
    # Miss rates: day 0.10, night 0.40 before; after adaptation day 0.12, night 0.20.
    R = np.array([[0.10, 0.40], [0.12, 0.20]])
    m = transfer.transfer_metrics(R, higher_is_better=False)
    assert m["gain"] == pytest.approx(0.20)
    assert m["forgetting"] == pytest.approx(0.02)
    assert m["gap_before"] == pytest.approx(0.30)
    assert m["gap_after"] == pytest.approx(0.08)
    assert m["BWT"] == pytest.approx(-0.02)
    assert math.isnan(m["CL_score"])
    assert str(transfer.transfer_metrics(np.array([[0.1, 0.2], [0.1, 0.2]]), higher_is_better=False)["gain"]) == "0.0"


def test_efficiency_criteria():
    assert transfer.model_size_efficiency([25.0, 25.0, 50.0]) == pytest.approx((1 + 1 + 0.5) / 3)
    assert transfer.model_size_efficiency([25.0, 20.0]) == 1.0  # capped at 1
    assert math.isnan(transfer.model_size_efficiency([25.0, None]))
    assert transfer.samples_storage_efficiency([0, 1000, 3000], 10000) == pytest.approx(1 - (0 + 0.1 + 0.3) / 3)
    assert transfer.samples_storage_efficiency([0, 0], 10000) == 1.0
    assert math.isnan(transfer.samples_storage_efficiency([0, 10], None))
    assert transfer.computational_efficiency([10.0, 2.0]) == 1.0
    assert transfer.computational_efficiency([10.0, 40.0]) == pytest.approx((1 + 0.25) / 2)
    assert transfer.computational_efficiency([10.0, 0.0, 0.0]) == 1.0  # used as is: adaptation is free
    assert math.isnan(transfer.computational_efficiency([0.0, 1.0]))
    assert math.isnan(transfer.computational_efficiency([10.0, None]))


def test_cl_score_weights():
    criteria = {"ACC": 0.5, "REM": 1.0, "BWT_plus": 0.0, "FWT": 0.2, "MS": 1.0, "SSS": NAN, "CE": NAN}
    assert math.isnan(transfer.cl_score(criteria))  # not over fewer criteria than the others
    complete = {**criteria, "SSS": 0.9, "CE": 0.7}
    assert transfer.cl_score(complete) == pytest.approx((0.5 + 1.0 + 0.0 + 0.2 + 1.0 + 0.9 + 0.7) / 7)
    assert transfer.cl_score(criteria, {"ACC": 3, "REM": 1}) == pytest.approx((3 * 0.5 + 1.0) / 4)
    assert math.isnan(transfer.cl_score(criteria, {"ACC": 1, "SSS": 1}))
    with pytest.raises(ValueError):
        transfer.cl_score(criteria, {"ACC": 0})


def test_full_metric_set_is_returned_in_order():
    m = transfer.transfer_metrics(np.array([[0.5, 0.2], [0.4, 0.35]]), parameters=[10, 10], compute=[5, 5])
    assert tuple(m) == transfer.METRIC_NAMES
    assert m["MS"] == 1.0 and m["CE"] == 1.0
    assert math.isnan(m["SSS"])


def test_rejects_non_square():
    with pytest.raises(ValueError):
        transfer.transfer_metrics(np.zeros((2, 3)))
