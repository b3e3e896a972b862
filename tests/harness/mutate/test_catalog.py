"""The twin's mutants: every one compiles, is named once and belongs to documented steps; the curated ones match the
source; equivalents name real mutants; --since picks the mutants of the functions a commit changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.mutate.catalog import CatalogError, catalog, changed_lines, compiles, equivalents, since
from harness.mutate.stepmap import SCOPE, steps_of

ROOT = Path(__file__).resolve().parents[3]


def test_every_mutant_of_the_twin_compiles_and_is_named_once() -> None:
    mutants = catalog(ROOT)
    assert len({m.id for m in mutants}) == len(mutants)
    assert {m.operator for m in mutants} == {"refusal", "negate", "skip-mark", "semantic"}
    for mutant in mutants:
        compiles(ROOT, mutant)
        assert mutant.mutated_source(ROOT) != (ROOT / mutant.module).read_text(encoding="utf-8")
        assert mutant.steps, mutant.id
        assert all(1 <= step <= 24 for step in mutant.steps), mutant.id
    assert {m.module for m in mutants} <= set(SCOPE)
    for mutant in (m for m in mutants if m.operator == "refusal"):  # each `if` test's body: just below, refusing
        assert mutant.guarded is not None, mutant.id
        assert mutant.span[2] < mutant.guarded[0] <= mutant.guarded[1] <= mutant.function_lines[1], mutant.id
    for module in SCOPE:
        assert (ROOT / module).is_file(), module


def test_the_real_name_rules_are_among_the_mutants() -> None:
    ids = {m.id: m for m in catalog(ROOT)}
    assert ids["semantic:skip-signature-verification"].steps == (22,)
    take = [m for m in ids.values() if m.operator == "skip-mark" and m.function == "Store.take_nonce"]
    assert len(take) == 1
    assert "UPDATE nonces SET used = 1" in take[0].original
    holder = [m for m in ids.values() if m.function == "verify_card" and "holder.id != member.id" in m.rule]
    assert holder
    assert all(m.steps == (20, 22) for m in holder)


def test_the_step_map_goes_from_function_to_class_to_module() -> None:
    assert steps_of("portal/store.py", "Store.take_nonce") == (22,)
    assert steps_of("portal/store.py", "Store.application") == (4, 6, 8)
    assert steps_of("portal/routes/contact.py", "_check") == (6,)
    assert steps_of("portal/routes/gold.py", "done") == (23,)


def test_a_curated_mutant_that_no_longer_matches_is_refused_by_name(tmp_path: Path) -> None:
    semantic = tmp_path / "semantic.toml"
    semantic.write_text(
        '[[mutant]]\nid = "gone"\nrule = "r"\nmodule = "portal/realname.py"\nfunction = "verify"\n'
        'find = "no such text"\nreplace = "x"\n',
        encoding="utf-8",
    )
    said = r"semantic\.toml: gone: `find` occurs 0 times in portal/realname\.py:verify, not once"
    with pytest.raises(CatalogError, match=said):
        catalog(ROOT, semantic)


def test_every_equivalent_names_a_mutant_and_says_why() -> None:
    ids = {m.id for m in catalog(ROOT)}
    explained = equivalents()
    assert explained
    assert set(explained) <= ids
    assert all(len(reason) > 40 for reason in explained.values())


@pytest.fixture
def twin_repository(tmp_path: Path) -> Path:
    """A git repository holding a copy of portal/, committed once."""
    shutil.copytree(ROOT / "portal", tmp_path / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    for command in (
        ["git", "init", "-q"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "add", "portal"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-qm", "twin"],
    ):
        subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, timeout=60)
    return tmp_path


def test_since_picks_the_mutants_of_the_changed_function_only(twin_repository: Path) -> None:
    gold = twin_repository / "portal" / "routes" / "gold.py"
    text = gold.read_text(encoding="utf-8")
    reworded = text.replace("驗證已逾時，請重新按「送出」。", "驗證已逾時，請再按一次「送出」。")
    assert reworded != text, "the test's message is gone from portal/routes/gold.py"
    gold.write_text(reworded, encoding="utf-8")
    mutants = catalog(twin_repository)
    chosen = since(twin_repository, mutants, changed_lines(twin_repository, "HEAD"))
    assert chosen
    assert {(m.module, m.function) for m in chosen} == {("portal/routes/gold.py", "verify_card")}
    assert len(chosen) == sum(m.function == "verify_card" for m in mutants)


def test_since_picks_a_whole_module_when_a_constant_changed(twin_repository: Path) -> None:
    realname = twin_repository / "portal" / "realname.py"
    text = realname.read_text(encoding="utf-8")
    constant = "OCSP_MAX_AGE = timedelta(days=1)"
    assert text.count(constant) == 1, f"the test's constant is gone from portal/realname.py: {constant}"
    realname.write_text(text.replace(constant, "OCSP_MAX_AGE = timedelta(days=2)"), encoding="utf-8")
    mutants = catalog(twin_repository)
    chosen = since(twin_repository, mutants, changed_lines(twin_repository, "HEAD"))
    assert {m.module for m in chosen} == {"portal/realname.py"}
    assert len(chosen) == sum(m.module == "portal/realname.py" for m in mutants)
    assert since(twin_repository, mutants, {}) == []


def test_since_an_unknown_commit_is_one_clear_error(twin_repository: Path) -> None:
    with pytest.raises(CatalogError, match="--since nosuchcommit: git diff failed"):
        changed_lines(twin_repository, "nosuchcommit")
