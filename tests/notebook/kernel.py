"""Run cells in a real Jupyter kernel of the project's venv, as JupyterLab or nbclient would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[2]
KERNEL = "tpcd"  # installed into the venv by `make setup` (python -m ipykernel install --sys-prefix --name tpcd)
_DATA_URI = re.compile(r"data:image/(?:jpeg|png);base64,[A-Za-z0-9+/=]+")


def notebook(*cells: str) -> NotebookNode:
    """A notebook of code cells on the project's kernel."""
    code = [nbformat.v4.new_code_cell(cell) for cell in cells]  # type: ignore[no-untyped-call]
    nb: NotebookNode = nbformat.v4.new_notebook(cells=code)  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "tpcd-harness", "language": "python"}
    return nb


def execute(nb: NotebookNode, *, timeout: int = 180, **options: Any) -> NotebookNode:
    """Run every cell top to bottom in a fresh kernel started in notebooks/, then shut the kernel down."""
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(ROOT / "notebooks")}}, **options
    )
    client.execute()
    return nb


def html_of(cell: NotebookNode) -> list[str]:
    """The HTML outputs of a cell, in order (each update of a live output already applied)."""
    return [output["data"]["text/html"] for output in cell.outputs if "text/html" in output.get("data", {})]


def text_of(cell: NotebookNode) -> str:
    """What a cell printed."""
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def images(html: str) -> list[str]:
    """The inline images of an HTML output."""
    return _DATA_URI.findall(html)


def run_in(client: Any, code: str, *, allow_errors: bool = False) -> str:
    """Execute `code` in a running kernel (a jupyter_client client); return what it printed and its error."""
    printed: list[str] = []

    def keep(message: dict[str, Any]) -> None:
        kind, content = message["header"]["msg_type"], message["content"]
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            printed.append(f"{content['ename']}: {content['evalue']}")

    reply = client.execute_interactive(code, timeout=120, output_hook=keep)
    assert allow_errors or reply["content"]["status"] == "ok", printed
    return "".join(printed)


@contextmanager
def kernel() -> Iterator[tuple[KernelManager, Any]]:
    """A kernel of the project started in notebooks/, as JupyterLab starts one, with its client; shut down after with
    a shutdown request (JupyterLab's "Shut Down Kernel"), not a kill."""
    manager = KernelManager(kernel_name=KERNEL)
    manager.start_kernel(cwd=str(ROOT / "notebooks"))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        run_in(client, "%load_ext harness.notebook")
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
