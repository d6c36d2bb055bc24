"""Errors whose messages participants read.

Every problem names the file, the line or record, and what was expected, so that a
participant can fix an upload without asking. Engines raise these, never ``assert``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``where`` is a human locator such as ``"line 12"``, ``"record 3"`` or
    ``"member stage1/day.json"``; empty when the problem concerns the whole file.
    """

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        location = f"{self.file}, {self.where}" if self.where else self.file
        return f"{location}: {self.message}"


class EvaluatorError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidInput(EvaluatorError):
    """An uploaded results file (or a ground-truth file) is malformed.

    Carries up to ``MAX_PROBLEMS`` problems; ``truncated`` says more were found.
    """

    def __init__(self, problems: list[Problem], truncated: bool = False) -> None:
        if not problems:
            raise ValueError("InvalidInput needs at least one problem")
        self.problems = tuple(problems[:MAX_PROBLEMS])
        self.truncated = truncated or len(problems) > MAX_PROBLEMS
        super().__init__(self.message)

    @property
    def message(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append(f"(only the first {MAX_PROBLEMS} problems are listed)")
        return "\n".join(lines)

    @classmethod
    def single(cls, file: str, message: str, where: str = "") -> InvalidInput:
        return cls([Problem(file=file, where=where, message=message)])


class ProblemCollector:
    """Collects problems while parsing, so a file reports many, not only the first.

    Usage::

        problems = ProblemCollector("results.json")
        problems.add("record 3", "bbox must have 4 numbers, got 3")
        ...
        problems.raise_if_any()
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.count = 0

    def add(self, where: str, message: str) -> None:
        self.add_in(self.file, where, message)

    def add_in(self, file: str, where: str, message: str) -> None:
        """A problem of another file than the collector's (an upload made of several files)."""
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(file, where, message))

    def count_more(self, n: int) -> None:
        """Count ``n`` further problems without listing them (the list is already long)."""
        self.count += max(int(n), 0)

    @property
    def full(self) -> bool:
        """True once enough problems are known; a parser may stop looking."""
        return self.count > MAX_PROBLEMS

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems, truncated=self.count > MAX_PROBLEMS)


def describe_ids(ids: Iterable[Any]) -> str:
    """A short summary of allowed integer ids: "1-6", "1-90 with gaps (80 ids)", or a short list."""
    values = sorted({int(i) for i in ids})
    if not values:
        return "none"
    if len(values) <= 5:
        return ", ".join(str(v) for v in values)
    low, high = values[0], values[-1]
    if high - low + 1 == len(values):
        return f"{low}-{high}"
    return f"{low}-{high} with gaps ({len(values)} ids)"


class UnknownProtocol(EvaluatorError):
    """The protocol name is not one the engine knows."""
