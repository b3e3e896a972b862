"""Children die with their parent, even a killed one; folders of gone runs are swept, a live run's never."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from simulators.lifetime import OWNER_FILE, bound_popen, claim, owned_folder, stale, start_time, sweep
from tests.processes import footprint, left_behind, marked_tmpdir

ROOT = Path(__file__).resolve().parents[2]


def _reaped() -> int:
    """The PID of a process that has ended (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _folder(parent: Path, name: str, owners: str | None) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "data").write_text("left by a run")
    if owners is not None:
        (folder / OWNER_FILE).write_text(owners)
    return folder


def test_only_folders_of_gone_runs_are_swept(tmp_path: Path) -> None:
    me, dead, started = os.getpid(), _reaped(), start_time(os.getpid())
    assert started is not None
    mine = f"{me} {started}\n"
    gone = _folder(tmp_path, "tpcd-stack-gone", f"{dead} 12345\n")
    reused = _folder(tmp_path, "tpcd-stack-reused", f"{me} {started - 1}\n")  # the same PID, another process
    live = _folder(tmp_path, "tpcd-stack-live", mine)
    shared = _folder(tmp_path, "tpcd-run-shared", f"{dead} 12345\n{mine}")  # a child that outlives its maker
    unrecorded = _folder(tmp_path, "tpcd-stack-older-version", None)  # maybe a live run of an older version
    legacy_gone = _folder(tmp_path, f"tpcd-pcscd-{dead}", None)  # older versions named pcscd's folder by PID
    legacy_live = _folder(tmp_path, f"tpcd-pcscd-{me}", None)
    not_ours = _folder(tmp_path, "other-stack-gone", f"{dead} 12345\n")

    swept = sweep(tmp_path)

    assert sorted(swept) == sorted([gone, reused, legacy_gone])
    for kept in (live, shared, unrecorded, legacy_live, not_ours):
        assert (kept / "data").exists(), kept
    for removed in swept:
        assert not removed.exists()


def test_an_owned_folder_names_its_owner_and_a_claim_adds_one(tmp_path: Path) -> None:
    folder = owned_folder(tmp_path / "tpcd-run-x")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert not stale(folder)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        claim(folder, child.pid)
        (folder / OWNER_FILE).write_text((folder / OWNER_FILE).read_text().splitlines(keepends=True)[1])
        assert not stale(folder)  # the child alone keeps it
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
    assert stale(folder)


def test_a_bound_child_outlives_the_thread_that_asked_for_it() -> None:
    # PR_SET_PDEATHSIG fires when the *thread* that forked the child ends (prctl(2)): a request's worker thread
    # starting pcscd (plugging a reader back in) must not take pcscd down when the thread pool retires it.
    started: list[subprocess.Popen[bytes]] = []
    asker = threading.Thread(target=lambda: started.append(bound_popen(["sleep", "60"])))
    asker.start()
    asker.join()
    child = started[0]
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=1)  # the asking thread has ended: the child must still run
    finally:
        child.kill()
        child.wait()


KILLED_PARENT = """
import signal, sys
from simulators.lifetime import bound_popen
{start}
print(child.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize(
    "start",
    [
        'child = bound_popen(["sleep", "60"])',
        # pcscd: through setpriv, unshare and sh, in namespaces of its own (simulators/card/pcscd.py)
        "from simulators.card.pcscd import PcscHost\nchild = PcscHost(entries=1).start().process",
    ],
    ids=["sleep", "pcscd"],
)
def test_a_bound_child_dies_when_its_parent_is_killed(start: str) -> None:
    if start.endswith(".process") and (os.geteuid() != 0 or not Path("/usr/sbin/pcscd").exists()):
        pytest.skip("a private pcscd needs root and pcscd (make setup)")
    with marked_tmpdir() as tmpdir:
        marker = f"TMPDIR={tmpdir}"
        script = textwrap.dedent(KILLED_PARENT).format(start=start)
        environ = {**os.environ, "TMPDIR": str(tmpdir)}
        command = [sys.executable, "-c", script]
        with subprocess.Popen(command, cwd=ROOT, env=environ, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as parent:
            assert parent.stdout is not None
            child = int(parent.stdout.readline())
            seen = footprint(marker)
            assert child in seen.processes
            parent.send_signal(signal.SIGKILL)  # no `finally` runs: only the kernel can stop the child now
            parent.wait()
        assert not left_behind(seen, marker), "the child outlived its killed parent"
        if "pcscd" in start:
            assert len(seen.namespaces) == 1  # its own network namespace, gone with it
            assert [folder.name for folder in tmpdir.iterdir()] == [f"tpcd-pcscd-{parent.pid}"]
            sweep(tmpdir)  # what the next start does
            assert not any(tmpdir.iterdir()), "the killed parent's pcscd folder is swept at the next start"
