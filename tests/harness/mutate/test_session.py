"""Session mode's parts that need no suite run: the queue the sessions share, and a mutant's portal imported beside
the project's in one process."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import portal
import portal.idnumber
from harness.mutate.catalog import catalog
from harness.mutate.queue import Queue
from harness.mutate.session import load_create_app

ROOT = Path(__file__).resolve().parents[3]
SEX_DIGIT = "semantic:do-not-compare-the-sex-digit"


def test_each_mutant_is_claimed_once_and_its_verdict_read_back(tmp_path: Path) -> None:
    mutants = [m for m in catalog(ROOT) if m.id in {SEX_DIGIT, "semantic:nonce-reusable"}]
    queue = Queue.create(tmp_path, mutants, ROOT, steps_only=False, reruns=1)
    assert queue.unclaimed() == 2
    assert queue.mutant(0)["source"] == mutants[0].mutated_source(ROOT)
    first, second, none = queue.claim(), queue.claim(), queue.claim()
    assert (first, second, none) == (0, 1, None)
    assert queue.unclaimed() == 0
    queue.running(4242, 1, "test_a")
    active = queue.active(4242)
    assert active is not None
    assert (active.number, active.scenario) == (1, "test_a")
    queue.finish(1, {"status": "killed", "killed_by": "a"})
    assert queue.active(4242) is None  # its mutant has a verdict: nothing under way
    assert queue.results() == {1: {"status": "killed", "killed_by": "a"}}
    assert Queue(tmp_path).options() == {"steps_only": False, "reruns": 1}


def test_a_mutants_portal_is_its_own_and_the_projects_stays_in_place(tmp_path: Path) -> None:
    mutant = next(m for m in catalog(ROOT) if m.id == SEX_DIGIT)
    shutil.copytree(ROOT / "portal", tmp_path / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / mutant.module).write_text(mutant.mutated_source(ROOT), encoding="utf-8")
    before = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "portal"}

    create = load_create_app(tmp_path, mutant.module)

    assert Path(create.__code__.co_filename).resolve() == (tmp_path / "portal" / "app.py").resolve()
    check = create.__globals__["profile"].check_profile  # the route module the mutant's app is built from
    assert Path(check.__code__.co_filename).resolve() == (tmp_path / "portal" / "basic_data.py").resolve()
    assert "validate_id_number(id_number.strip())" in (tmp_path / "portal" / "basic_data.py").read_text("utf-8")
    after = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "portal"}
    assert after == before  # the harness and the card keep the project's portal modules
    assert Path(portal.idnumber.__file__ or "").resolve() == (ROOT / "portal" / "idnumber.py").resolve()
