"""`python -m harness.notebook` (what `make notebook` and `tpcd notebook` run): JupyterLab on the project's kernel."""

from __future__ import annotations

import sys

from harness.notebook.lab import main

sys.exit(main())
