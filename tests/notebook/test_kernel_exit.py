"""A kernel that ends leaves nothing of the notebook behind: no pcscd, no Chromium, no server, no temp dir."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

from tests.notebook.kernel import KERNEL, ROOT

STATE = """import json, os
print(json.dumps({
    "pid": os.getpid(),
    "dirs": [str(p) for p in (tpcd.stack.workdir, tpcd._home, f"/tmp/tpcd-pcscd-{os.getpid()}") if p],
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


def _run(client: object, code: str) -> str:
    printed: list[str] = []

    def keep(message: dict[str, object]) -> None:
        content = message["content"]
        if message["header"]["msg_type"] == "stream":  # type: ignore[index]
            printed.append(content["text"])  # type: ignore[index]

    reply = client.execute_interactive(code, timeout=120, output_hook=keep)  # type: ignore[attr-defined]
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def test_a_shutdown_request_stops_the_stack_the_browser_and_pcscd() -> None:
    manager = KernelManager(kernel_name=KERNEL)
    manager.start_kernel(cwd=str(ROOT / "notebooks"))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        _run(client, "%load_ext harness.notebook")
        _run(client, "%tpcd up")
        _run(client, "%%gherkin\n假如 市民開啟臺北卡網站")
        state = json.loads(_run(client, STATE))
        started = _descendants(state["pid"])
        names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in started if _alive(pid)}
        assert {"pcscd", "chromium"} <= names | {n.split("-")[0] for n in names}, names
        assert all(Path(d).is_dir() for d in state["dirs"])
    finally:
        client.stop_channels()
        began = time.monotonic()
        manager.shutdown_kernel(now=False)  # JupyterLab's "Shut Down Kernel": a shutdown request, not a kill
    print(f"shutdown took {time.monotonic() - began:.1f} s")
    assert not _alive(state["pid"])
    assert [pid for pid in started if _alive(pid)] == []
    assert [d for d in state["dirs"] if os.path.exists(d)] == []
