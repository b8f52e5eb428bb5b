"""What an import found: bad rows (refuse the file), skipped rows (kept out on purpose), counts.

A *problem* is a row the file should not contain (an unparsable date, text in a quantity, a
missing column): any problem refuses the whole file. A *skip* is a row that is valid data but
is not demand (postage, a stock adjustment, a zero-price line): it is counted by reason and
never written. Only the first MAX_LISTED problems are kept with their values, the rest are
counted, so a file that is wrong on every one of its million lines cannot exhaust memory.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_LISTED = 1000


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1 = the header line; data rows start at 2 (spreadsheet row numbers for XLSX)
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "value": self.value, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.file}:{self.line} [{self.column}] {self.value!r}: {self.reason}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    skipped: Counter = field(default_factory=Counter)

    def add(self, file: str, line: int, column: str, value, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            text = "" if value is None else str(value)
            self.problems.append(Problem(file, int(line), column, text[:200], reason))

    def add_many(self, file: str, lines, column: str, values, reason: str) -> None:
        """Record one problem per (line, value) pair; lines and values are aligned sequences."""
        for line, value in zip(lines, values):
            self.add(file, line, column, value, reason)

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] += int(count)

    def sort(self) -> None:
        """Listed problems by file (in reading order), then line; a line's columns in checking order."""
        rank: dict[str, int] = {}
        for p in self.problems:
            rank.setdefault(p.file, len(rank))
        self.problems.sort(key=lambda p: (rank[p.file], p.line))

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def as_dict(self) -> dict:
        return {
            "problem_count": self.problem_count,
            "problems_listed": len(self.problems),
            "problems": [p.as_dict() for p in self.problems],
            "skipped": dict(sorted(self.skipped.items())),
        }


class ImportRefused(Exception):
    """The file breaks the rules: nothing of it was written. `report` lists every bad row."""

    def __init__(self, report: Report):
        report.sort()
        self.report = report
        first = "; ".join(str(p) for p in report.problems[:3])
        more = report.problem_count - min(3, len(report.problems))
        super().__init__(
            f"import refused, nothing written: {report.problem_count} problem(s): {first}"
            + (f" (and {more} more)" if more > 0 else "")
        )
