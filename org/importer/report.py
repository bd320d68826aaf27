"""What an import answers: the refusal with its line errors, or the report of what it did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class ImportRejected(Exception):
    """The file was refused whole: ``errors`` are (line, message) pairs, line 0 for the file itself."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__("\n".join(f"line {line}: {message}" for line, message in errors))


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    # People who joined, moved or left the open cycles (each person once, whatever the cycles).
    joined: int = 0
    moved: int = 0
    left: int = 0

    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()) or self.joined or self.moved or self.left)

    def __str__(self) -> str:
        kinds = ("units", "positions", "employees")
        counts = [f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
                  for kind in kinds]
        return "; ".join([*counts, f"people: {self.joined} joined, {self.moved} moved, {self.left} left"])
