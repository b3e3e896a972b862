"""The mutation report: JSON for tools, one HTML page for people, and the lines the terminal prints."""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.mutate.runner import Outcome, Status, log_folder


def score(outcomes: Sequence[Outcome]) -> float | None:
    """Killed (timeouts included) over the mutants not explained as equivalent; None when nothing was run."""
    counted = [o for o in outcomes if o.status not in (Status.EXPLAINED, Status.ERROR)]
    if not counted:
        return None
    return sum(o.status in (Status.KILLED, Status.TIMEOUT) for o in counted) / len(counted)


def as_json(outcomes: Sequence[Outcome], *, wall_seconds: float, selection: str) -> dict[str, Any]:
    """The whole run as one JSON document."""
    value = score(outcomes)
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "selection": selection,
        "wall_seconds": round(wall_seconds, 1),
        "score": None if value is None else round(value, 4),
        "counts": dict(Counter(o.status for o in outcomes)),
        "mutants": [
            {
                "id": o.mutant.id,
                "operator": o.mutant.operator,
                "rule": o.mutant.rule,
                "location": o.mutant.location,
                "module": o.mutant.module,
                "line": o.mutant.line,
                "function": o.mutant.function,
                "documented_steps": list(o.mutant.steps),
                "original": o.mutant.original,
                "mutated": o.mutant.replacement,
                "status": o.status,
                "killed_by": o.killed_by,
                "phase": o.phase,
                "seconds": round(o.seconds, 1),
                "scenarios_run": o.scenarios,
                "reason": o.reason,
            }
            for o in outcomes
        ],
    }


_ORDER = {Status.SURVIVED: 0, Status.ERROR: 1, Status.TIMEOUT: 2, Status.KILLED: 3, Status.EXPLAINED: 4}
_STYLE = """
body{font-family:"Noto Sans CJK TC",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}
th{background:#f3f3f3;text-align:left}code{font-size:.85em;white-space:pre-wrap}
.survived{background:#fde2e2}.error{background:#eee}.killed{background:#e6f4ea}.timeout{background:#fff4d6}.explained{background:#eef}
.score{font-size:1.6em}
"""


def as_html(document: dict[str, Any]) -> str:
    """One self-contained page: the score, then every mutant, survivors first."""
    value = document["score"]
    shown = "—" if value is None else f"{value:.1%}"
    counts = ", ".join(f"{name} {count}" for name, count in sorted(document["counts"].items()))
    from harness.guide import GUIDE, doc_anchors  # the report's own links to the documented steps

    anchors = doc_anchors()
    rows = []
    for entry in sorted(document["mutants"], key=lambda m: (_ORDER.get(m["status"], 9), m["module"], m["line"])):
        steps = " ".join(
            f'<a href="../../docs/{GUIDE.name}#{anchors.get(s, "")}">{s}</a>' for s in entry["documented_steps"]
        )
        verdict = entry["status"].upper()
        detail = html.escape(entry["killed_by"] or entry["reason"])
        if entry["status"] == Status.SURVIVED:
            detail = f"{entry['scenarios_run']} scenarios passed against it"
        if entry["status"] not in (Status.EXPLAINED,):
            detail += f' (<a href="logs/{log_folder(entry["id"])}/">logs</a>)'
        rows.append(
            f'<tr class="{entry["status"]}"><td><code>{html.escape(entry["id"])}</code></td>'
            f"<td>{html.escape(entry['rule'])}<br><code>{html.escape(entry['original'])}</code> → "
            f"<code>{html.escape(entry['mutated'])}</code></td>"
            f"<td><code>{html.escape(entry['location'])}</code></td><td>{steps}</td>"
            f"<td><b>{verdict}</b> {html.escape(entry['phase'])}<br>{detail}</td>"
            f"<td>{entry['seconds']}</td></tr>"
        )
    return (
        '<!doctype html><html lang="zh-TW"><head><meta charset="utf-8"><title>tpcd mutate: mutation report</title>'
        f"<style>{_STYLE}</style></head><body><h1>Mutation report of the portal twin</h1>"
        f'<p class="score">score {shown}</p><p>{html.escape(counts)}; wall time {document["wall_seconds"]} s; '
        f"selection: {html.escape(document['selection'])}; finished {document['finished_at']}</p>"
        "<p>A SURVIVED mutant is a rule the suite does not test: write the scenario that fails against it, or, when "
        "no scenario can tell it apart from the twin, list it with the reason in harness/mutate/equivalent.toml "
        "(docs/mutation.md).</p>"
        "<table><tr><th>mutant</th><th>rule (original → mutated)</th><th>source</th><th>documented steps</th>"
        f"<th>verdict (phase; killing scenario or reason)</th><th>s</th></tr>{''.join(rows)}</table></body></html>\n"
    )


def write(folder: Path, document: dict[str, Any]) -> tuple[Path, Path]:
    """mutation.json and index.html in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "mutation.json"
    data.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    page = folder / "index.html"
    page.write_text(as_html(document), encoding="utf-8")
    return data, page


def line(outcome: Outcome) -> str:
    """The terminal's line for one finished mutant."""
    mutant = outcome.mutant
    said = outcome.killed_by or outcome.reason
    if outcome.status == Status.SURVIVED:
        said = f"{outcome.scenarios} scenarios passed against it"
    verdict = outcome.status.upper()
    return f"{verdict:<9} {mutant.id}  {mutant.location}  steps {','.join(map(str, mutant.steps))}  {said}".rstrip()


def summary(document: dict[str, Any]) -> str:
    """The closing lines: score, counts, wall time."""
    value = document["score"]
    shown = "no mutant run" if value is None else f"{value:.1%}"
    counts = ", ".join(f"{name} {count}" for name, count in sorted(document["counts"].items()))
    return f"mutation score {shown} ({counts}); wall time {document['wall_seconds']} s"
