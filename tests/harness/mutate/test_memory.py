"""What a run keeps about each mutant's killer for the next (killers.json): kills kept with their failure, survivors
forgotten, an id that now names another change not trusted, an unreadable file costing nothing but time."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from harness.mutate import memory
from harness.mutate.catalog import Mutant, catalog
from harness.mutate.runner import Outcome, Status

ROOT = Path(__file__).resolve().parents[3]
FAILED = "pages/base.py:47: expected the 「實名認證成功」 screen"


def _mutants() -> tuple[Mutant, Mutant, Mutant]:
    by_id = {m.id: m for m in catalog(ROOT)}
    return (
        by_id["semantic:nonce-reusable"],
        by_id["semantic:skip-signature-verification"],
        by_id["semantic:any-issuer"],
    )


def test_a_kill_is_kept_for_the_next_run_and_a_survivor_forgotten(tmp_path: Path) -> None:
    nonce, signature, issuer = _mutants()
    memory.remember(
        tmp_path,
        [
            Outcome(nonce, Status.KILLED, "同一個簽章只能用一次", "steps", killer="test_nonce", signature=FAILED),
            Outcome(signature, Status.KILLED, "簽章不符", "steps", 9.0, 1, killer="test_sig", signature=FAILED),
            Outcome(issuer, Status.EXPLAINED, reason="r"),
        ],
    )
    assert memory.known(tmp_path, [nonce, signature, issuer]) == {
        nonce.id: {"scenario": "test_nonce", "signature": FAILED},
        signature.id: {"scenario": "test_sig", "signature": FAILED},
    }
    memory.remember(tmp_path, [Outcome(signature, Status.SURVIVED, scenarios=4)])  # a later run: the rule went untested
    assert set(memory.known(tmp_path, [nonce, signature, issuer])) == {nonce.id}
    assert json.loads((tmp_path / memory.KILLERS_FILE).read_text(encoding="utf-8"))["kills"][nonce.id]["change"]


def test_an_id_that_names_another_change_now_is_not_trusted(tmp_path: Path) -> None:
    nonce, _, _ = _mutants()
    memory.remember(tmp_path, [Outcome(nonce, Status.KILLED, "k", "steps", killer="test_nonce", signature=FAILED)])
    moved = replace(nonce, original=nonce.original + " and True")  # the same id after the function's code changed
    assert memory.known(tmp_path, [moved]) == {}
    assert memory.known(tmp_path, [nonce]) != {}


def test_a_kill_without_its_failure_or_an_unreadable_file_teaches_nothing(tmp_path: Path) -> None:
    nonce, _, _ = _mutants()
    memory.remember(tmp_path, [Outcome(nonce, Status.KILLED, "k", "steps", killer="test_nonce")])  # process mode
    assert memory.known(tmp_path, [nonce]) == {}
    (tmp_path / memory.KILLERS_FILE).write_text("{not json", encoding="utf-8")
    assert memory.known(tmp_path, [nonce]) == {}
    memory.remember(tmp_path, [Outcome(nonce, Status.KILLED, "k", "steps", killer="test_n", signature=FAILED)])
    assert memory.known(tmp_path, [nonce]) == {nonce.id: {"scenario": "test_n", "signature": FAILED}}
