"""The harness in a notebook: `%load_ext harness.notebook`, then `%tpcd up`, `%%gherkin`, `%%browser`
(docs/notebooks.md). Only the extension's entry points live here, so the suite's plugins can use this package's modules
(harness/notebook/plugin.py) without loading IPython."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


def load_ipython_extension(ip: InteractiveShell) -> None:
    """`%load_ext harness.notebook`."""
    from harness.notebook.extension import load

    load(ip)


def unload_ipython_extension(ip: InteractiveShell) -> None:
    """`%unload_ext harness.notebook`: stop whatever the notebook started."""
    from harness.notebook.extension import unload

    unload(ip)
