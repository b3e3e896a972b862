"""A kernel that ends leaves nothing of the notebook behind: no pcscd, no Chromium, no server, no temp dir."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.notebook.kernel import kernel, run_in

STATE = """import json, os
print(json.dumps({
    "pid": os.getpid(),
    "dirs": [str(p) for p in (tpcd.stack.workdir, tpcd.lifecycle.home, f"/tmp/tpcd-pcscd-{os.getpid()}") if p],
    "urls": tpcd.stack.urls,
}))"""


def _children() -> dict[int, int]:
    """Every process on the machine → its parent."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while being read
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _descendants(pid: int) -> set[int]:
    parents, found, frontier = _children(), set[int](), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not read its status yet


def test_a_shutdown_request_stops_the_stack_the_browser_and_pcscd() -> None:
    with kernel() as (_, client):
        run_in(client, "%tpcd up")
        run_in(client, "%%gherkin\n假如 市民開啟臺北卡網站")
        state = json.loads(run_in(client, STATE))
        started = _descendants(state["pid"])
        names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in started if _alive(pid)}
        assert {"pcscd", "chromium"} <= names | {n.split("-")[0] for n in names}, names
        assert all(Path(d).is_dir() for d in state["dirs"])
    assert not _alive(state["pid"])
    assert [pid for pid in started if _alive(pid)] == []
    assert [d for d in state["dirs"] if os.path.exists(d)] == []


def test_an_interrupt_stops_a_run_before_its_next_step_and_magics_say_what_is_wrong() -> None:
    with kernel() as (manager, client):
        missing = run_in(client, "%%gherkin\n假如 市民開啟臺北卡網站", allow_errors=True)
        assert missing.strip() == "UsageError: %%gherkin: no browser in this kernel: run %tpcd up first"
        run_in(client, "%tpcd up")
        slow = "那麼 市民看到「金質會員認證」頁面"  # not the page shown: it waits its 5 s, then fails
        cell = f"%%gherkin\n場景: 慢\n  假如 市民開啟臺北卡網站\n  {slow}\n場景: 之後\n  假如 市民開啟臺北卡網站"
        client.execute(cell)
        deadline = time.monotonic() + 60
        while True:  # the slow step is shown running: interrupt then, as a person pressing ■ would
            message = client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 0.1))
            html = message["content"].get("data", {}).get("text/html", "")
            if 'data-status="running"' in html and slow in html:
                break
        manager.interrupt_kernel()
        client.get_shell_msg(timeout=60)  # the cell's reply: the run ended
        outcome = run_in(client, "r = tpcd.last\nprint(r.interrupted, r.exit_code, [s.status for s in r.steps])")
        typo = run_in(client, "%%gherkin\n假如 市民開啟臺北卡網頁")  # 網頁: the step says 網站
        undefined = run_in(client, "print(_.failed_step.error)")
    assert outcome == "True 2 ['passed', 'failed', 'not run']\n"
    assert typo == ""
    assert undefined.startswith(
        "沒有符合「市民開啟臺北卡網頁」的步驟定義（steps/）；相近的步驟：\n  市民開啟臺北卡網站"
    )
