"""The mutation operators on small sources: each writes the mutant it should, the mutant compiles, and it behaves
as the broken rule would (run, not read)."""

from __future__ import annotations

import sqlite3
import textwrap
from typing import Any

import pytest

from harness.mutate.operators import Site, apply, guarded, numbered, sites

GUARDS = textwrap.dedent(
    """
    LIMIT = 3 > 2  # module level: no function, no rule to mutate


    def guard(x, errors, request):
        assert x is not None  # states a fact, not a rule
        if x > 3:
            raise ValueError("too big")
        if x < 0 or x == -1:
            return None
        if not x:
            errors.append("請填寫")
        if x == 2:
            request["notice"] = "說明"
        return x


    def page(request, render):
        if request == "bad":
            return render(request, "x.html", status_code=400)
        if request == "fine":
            return render(request, "x.html", status_code=200)
        return "ok"
    """
)

STORE = textwrap.dedent(
    """
    class Store:
        def take(self, db, nonce_id):
            row = db.execute("SELECT nonce FROM nonces WHERE id = ? AND used = 0", (nonce_id,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE nonces SET used = 1 WHERE id = ?", (nonce_id,))
            return row[0]

        def deliver(self, db, to):
            insert = "INSERT INTO deliveries (recipient) VALUES (?)"
            return db.execute(insert, (to,)).lastrowid
    """
)


def _of(found: list[Site], operator: str) -> list[Site]:
    return [site for site in found if site.operator == operator]


def _load(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<mutant>", "exec"), namespace)
    return namespace


def test_a_refusal_condition_is_made_never_true_and_each_alternative_dropped() -> None:
    refusals = _of(sites(GUARDS), "refusal")
    assert [(site.original, site.replacement) for site in refusals] == [
        ("x > 3", "False"),
        ("x < 0", "False"),
        ("x < 0 or x == -1", "False"),
        ("x == -1", "False"),
        ("not x", "False"),
        ('request == "bad"', "False"),
    ]  # not `x == 2` (its body sets no session notice of `request.session`), not the 200 render, not module level
    assert all(site.function in {"guard", "page"} for site in refusals)
    too_big = _load(apply(GUARDS, refusals[0]))["guard"]
    assert too_big(5, [], {}) == 5  # the original raises ValueError
    with pytest.raises(ValueError, match="too big"):
        _load(GUARDS)["guard"](5, [], {})
    narrowed = _load(apply(GUARDS, refusals[1]))["guard"]
    assert narrowed(-5, [], {}) == -5  # `x < 0` dropped: a negative passes
    assert narrowed(-1, [], {}) is None  # `x == -1` still refuses
    errors: list[str] = []
    _load(apply(GUARDS, refusals[4]))["guard"](0, errors, {})
    assert errors == []
    assert _load(apply(GUARDS, refusals[5]))["page"]("bad", lambda *a, **k: k["status_code"]) == "ok"


def test_guarded_names_the_lines_a_refusal_runs_and_nothing_outside_an_if_test() -> None:
    refusals = _of(sites(GUARDS), "refusal")
    assert guarded(GUARDS, refusals[0].span) == (8, 8)  # `if x > 3:` runs its raise
    assert guarded(GUARDS, refusals[3].span) == (10, 10)  # `x == -1` alone: still the `or`'s body
    nested = textwrap.dedent(
        """
        def f(x, y):
            if x:
                if y > 1:
                    y = 0
                    raise ValueError(y)
                return x
            return x > y
        """
    )
    (inner,) = _of(sites(nested), "refusal")  # `if x:` returns x, no refusal: only the inner `if` is one
    assert guarded(nested, inner.span) == (5, 6)  # the innermost `if` whose test holds it, its whole body
    header = (4, 8, 4, 17)  # `if y > 1:` whole, as a curated mutant may rewrite it
    assert nested.splitlines()[3][8:17] == "if y > 1:"
    assert guarded(nested, header) == (5, 6)
    assert guarded(nested, (2, 0, 2, 14)) is None  # the `def` line: no test
    comparison = next(site for site in _of(sites(nested), "negate") if site.original == "x > y")
    assert guarded(nested, comparison.span) is None  # a `return`'s comparison guards no lines


def test_a_session_notice_and_an_error_list_count_as_refusals() -> None:
    source = textwrap.dedent(
        """
        def callback(request, state, expected):
            if state != expected:
                request.session["notice"] = "授權已逾時"
            return request
        """
    )
    (refusal,) = _of(sites(source), "refusal")
    assert refusal.original == "state != expected"


def test_each_comparison_inside_a_function_is_negated_even_after_chinese_text() -> None:
    source = 'def same(name, x):\n    return name != "名字" and x > 1\n'
    negated = _of(sites(source), "negate")
    assert [site.original for site in negated] == ['name != "名字"', "x > 1"]
    mutant = apply(source, negated[1])
    assert mutant == 'def same(name, x):\n    return name != "名字" and (not (x > 1))\n'
    assert _load(mutant)["same"]("他", 0) is True  # the original: False
    assert _load(source)["same"]("他", 0) is False
    assert all(site.function for site in sites(GUARDS))  # module-level `3 > 2` is not a site


def test_a_single_use_mark_is_skipped_and_what_follows_still_runs() -> None:
    found = sites(STORE)
    marks = _of(found, "skip-mark")
    assert [(site.function, site.replacement) for site in marks] == [
        ("Store.take", "pass"),
        ("Store.deliver", 'db.execute("SELECT NULL")'),
    ]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE nonces (id INTEGER PRIMARY KEY, nonce TEXT, used INTEGER DEFAULT 0)")
    db.execute("CREATE TABLE deliveries (id INTEGER PRIMARY KEY, recipient TEXT)")
    db.execute("INSERT INTO nonces (nonce) VALUES ('n1')")
    honest = _load(STORE)["Store"]()
    assert honest.take(db, 1) == "n1"
    assert honest.take(db, 1) is None  # used up
    db.execute("UPDATE nonces SET used = 0")
    reusable = _load(apply(STORE, marks[0]))["Store"]()
    assert reusable.take(db, 1) == "n1"
    assert reusable.take(db, 1) == "n1"  # the mark skipped: taken twice
    _load(apply(STORE, marks[1]))["Store"]().deliver(db, "0912345678")
    assert db.execute("SELECT COUNT(*) FROM deliveries").fetchone() == (0,)  # nothing recorded
    _load(STORE)["Store"]().deliver(db, "0912345678")
    assert db.execute("SELECT COUNT(*) FROM deliveries").fetchone() == (1,)


def test_every_mutant_compiles_keeps_the_line_count_and_changes_the_source() -> None:
    for source in (GUARDS, STORE):
        for site in sites(source):
            mutant = apply(source, site)
            compile(mutant, "<mutant>", "exec")
            assert mutant != source
            assert mutant.count("\n") == source.count("\n") or site.replacement == "pass"


def test_names_number_sites_per_operator_and_function() -> None:
    names = [(site.operator, site.function, n) for n, site in numbered(sites(GUARDS))]
    assert ("refusal", "guard", 5) in names
    assert ("refusal", "page", 1) in names
    assert ("negate", "guard", 1) in names
