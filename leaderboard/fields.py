"""A JSON column stored compactly: zlib-compressed orjson, floats kept to float32 precision where asked."""

from __future__ import annotations

import math
import zlib
from typing import Any

import orjson
from django.db import models

# Seven significant digits: float32's precision, far beyond the four decimals pages show.
_DIGITS = 7


def compact(value: Any) -> Any:
    """``value`` with every float rounded to float32 precision (shorter JSON, better compression)."""
    if isinstance(value, float):
        return float(f"{value:.{_DIGITS}g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: compact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [compact(item) for item in value]
    return value


def pack(value: Any, *, float32: bool = True) -> bytes:
    return zlib.compress(orjson.dumps(compact(value) if float32 else value, option=orjson.OPT_SERIALIZE_NUMPY), 6)


def unpack(data: bytes | memoryview) -> Any:
    return orjson.loads(zlib.decompress(data))


class CompressedJSONField(models.BinaryField):
    """Plot data (curves, explorer counts) read whole and never queried inside.

    A COCO score's curves are hundreds of kilobytes of JSON; stored this way they take
    a tenth of it. Values read back as plain JSON types (dicts, lists, floats). With
    ``float32=False`` every float is kept exactly (per-class results).
    """

    def __init__(self, *args: Any, float32: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        self.float32 = float32
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("default") is dict:
            del kwargs["default"]
        if not self.float32:
            kwargs["float32"] = False
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else unpack(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, bytes | memoryview):
            return unpack(value)
        if isinstance(value, str):
            return orjson.loads(value)
        return value

    def get_prep_value(self, value: Any) -> bytes | None:
        return None if value is None else pack(value, float32=self.float32)

    def value_to_string(self, obj: models.Model) -> str:
        return orjson.dumps(self.value_from_object(obj)).decode()
