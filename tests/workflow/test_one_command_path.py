"""The engine's promise, checked on the source: nothing outside workflow/ writes an audit event,
locks a row or builds an open task by hand, and nothing outside the engine reaches into its fast
path or into viewflow's private attributes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["config", "org", "processes", "notifications", "api", "web", "workflow", "accounts"]

# (what, pattern, where it may appear)
RULES = [
    ("an audit event written by hand", re.compile(r"audit\.(append|build_event|next_event)\("), {"workflow"}),
    ("a row locked by hand", re.compile(r"\.select_for_update\("), {"workflow"}),
    ("an open task built by hand", re.compile(r"\bOpenTask\(|OpenTask\.objects\.(create|bulk_create|update_or_create)\("), {"workflow"}),
    ("the engine's prepared queries", re.compile(r"workflow\.prepared|from \.prepared import"), {"workflow"}),
    ("the engine's write batch", re.compile(r"workflow\.batch|from \.batch import"), {"workflow"}),
    ("a private viewflow attribute", re.compile(r"\._descriptor\b"), set()),
    ("an editable-states list kept beside the flow", re.compile(r"^EDITABLE\s*=", re.MULTILINE), set()),
]


def source_files():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield package, path


@pytest.mark.parametrize("what, pattern, allowed", RULES, ids=[rule[0] for rule in RULES])
def test_no_module_outside_the_engine_writes_around_it(what, pattern, allowed):
    offenders = [
        f"{path.relative_to(ROOT)}:{source[:match.start()].count(chr(10)) + 1}"
        for package, path in source_files()
        if package not in allowed
        for source in [path.read_text()]
        for match in pattern.finditer(source)
    ]
    assert offenders == [], f"{what} outside the engine: {offenders}"


def test_the_rules_find_what_they_look_for():
    """The patterns are not vacuous: each matches the engine's own use, where it is allowed."""
    engine_source = "\n".join(path.read_text() for path in (ROOT / "workflow").rglob("*.py"))
    for what, pattern, allowed in RULES:
        if "workflow" in allowed:
            assert pattern.search(engine_source), what
