"""json_safe: the same JSON-ready values whichever path a value takes (arrays as a whole or element by element)."""

from __future__ import annotations

import math

import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from evaluator.types import json_safe


def _by_element(value):
    """json_safe's rule applied to every element, with no shortcut for whole arrays."""
    if isinstance(value, dict):
        return {str(k): _by_element(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_by_element(v) for v in value]
    if isinstance(value, np.ndarray):
        return _by_element(value.tolist())
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


arrays = st.one_of(
    hnp.arrays(st.sampled_from([np.float64, np.float32]), hnp.array_shapes(max_dims=2, max_side=5)),
    hnp.arrays(st.sampled_from([np.int64, np.int32, np.bool_]), hnp.array_shapes(max_dims=2, max_side=5)),
)
values = st.recursive(
    st.one_of(arrays, st.floats(), st.integers(-(2**60), 2**60), st.booleans(), st.none(), st.text(max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None)
@given(value=values)
def test_json_safe_equals_the_rule_applied_element_by_element(value):
    got = json_safe(value)
    assert orjson.dumps(got) == orjson.dumps(_by_element(value))
    assert [type(v) for v in _leaves(got)] == [type(v) for v in _leaves(_by_element(value))]


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value
