"""Gherkin text of a notebook: a cell made into a complete feature file, and an exploration kept as a .feature.

A cell may hold a whole feature, scenarios without the 功能 line, or only steps; each is completed into a feature in
`# language: zh-TW` (docs/contributing.md#gherkin) so pytest-bdd parses it exactly as it parses features/.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence

from gherkin.dialect import Dialect

LANGUAGE = "zh-TW"
_FOUND = Dialect.for_name(LANGUAGE)
assert _FOUND is not None, f"gherkin-official knows no {LANGUAGE} dialect"
_DIALECT: Dialect = _FOUND
_LANGUAGE_LINE = re.compile(r"^\s*#\s*language\s*:", re.IGNORECASE)
_FEATURE = tuple(f"{keyword}:" for keyword in _DIALECT.feature_keywords)
_BLOCKS = tuple(
    f"{keyword}:"
    for keyword in (
        *_DIALECT.scenario_keywords,
        *_DIALECT.scenario_outline_keywords,
        *_DIALECT.background_keywords,
        *_DIALECT.rule_keywords,
    )
)
NOTEBOOK_FEATURE = "在筆記本中探索"
STEP_KEYWORDS = tuple(
    sorted(
        {
            keyword.strip()
            for keyword in (
                *_DIALECT.given_keywords,
                *_DIALECT.when_keywords,
                *_DIALECT.then_keywords,
                *_DIALECT.and_keywords,
                *_DIALECT.but_keywords,
            )
        }
    )
)  # 假如 當 那麼 而且 但是 … and *


def _starts(line: str, keywords: tuple[str, ...]) -> bool:
    return line.lstrip().startswith(keywords)


def _is_tags(line: str) -> bool:
    return line.lstrip().startswith("@")


def as_feature(cell: str, *, title: str) -> str:
    """`cell` as a complete feature file: the language line, a 功能 named `title` when it has none, and a 場景 named
    `title` around bare steps (tag lines before the steps become the scenario's)."""
    lines = textwrap.dedent(cell).strip("\n").splitlines()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in lines):
        raise ValueError("the cell holds no Gherkin: write steps (假如 / 當 / 那麼 …) or a 場景")
    head = [] if any(_LANGUAGE_LINE.match(line) for line in lines[:3]) else [f"# language: {LANGUAGE}"]
    if any(_starts(line, _FEATURE) for line in lines):
        return "\n".join([*head, *lines]) + "\n"
    if any(_starts(line, _BLOCKS) for line in lines):
        return "\n".join([*head, f"功能: {NOTEBOOK_FEATURE}", "", *("  " + line for line in lines)]) + "\n"
    tags = []
    while lines and (_is_tags(lines[0]) or not lines[0].strip()):
        tags.append(lines.pop(0).strip())
    scenario = [*("  " + tag for tag in tags if tag), f"  場景: {title}", *("    " + line.strip() for line in lines)]
    return "\n".join([*head, f"功能: {NOTEBOOK_FEATURE}", "", *scenario]) + "\n"


def exploration_feature(
    feature: str, scenario: str, steps: Sequence[str], *, tags: Iterable[str] = (), description: str = ""
) -> str:
    """An exploration's steps (keyword and text, as they ran) as a feature file of one scenario."""
    if not steps:
        raise ValueError("no step has passed in this exploration yet: nothing to keep")
    tag_line = " ".join(tag if tag.startswith("@") else f"@{tag}" for tag in tags)
    lines = [f"# language: {LANGUAGE}", f"功能: {feature}"]
    lines += [f"  {line}" for line in description.strip().splitlines()]
    lines += ["", *([f"  {tag_line}"] if tag_line else []), f"  場景: {scenario}"]
    lines += [f"    {step}" for step in steps]
    return "\n".join(lines) + "\n"
