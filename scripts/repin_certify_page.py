"""Refresh the certifier's copy of the portal's agent page (harness/certify/page) from the twin, and its pins.

Run after a change to the twin's gold pages or their scripts (tests/harness/test_certify_verdict.py says so when the
copy no longer matches): `.venv/bin/python scripts/repin_certify_page.py`. The certifier's version changes with it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import jinja2

import portal
from harness.certify.pinned import PAGE, text_digest

PORTAL = Path(portal.__file__).parent
PINNED = PAGE.parent / "pinned.py"
PAGES = {"gold.html": "金質會員認證", "gold_verify.html": "步驟二：自然人憑證實名驗證"}
SCRIPTS = ("agent.js", "portal.css", "portal.js")


def main() -> None:
    """Render the two pages as the twin shows them to a member not yet verified, copy the scripts, pin each file."""
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(PORTAL / "templates"), autoescape=True)
    settings = SimpleNamespace(agent_url="__AGENT_URL__", agent_timeout=20.0)
    member = SimpleNamespace(verified_level="0")
    for name, title in PAGES.items():
        context = {"title": title, "member": member, "settings": settings, "supported": True, "csrf_token": "-"}
        rendered = templates.get_template(name).render(context).replace('"20000"', '"__AGENT_TIMEOUT_MS__"')
        (PAGE / name).write_text(rendered.rstrip("\n") + "\n", encoding="utf-8")
    for name in SCRIPTS:
        shutil.copyfile(PORTAL / "static" / name, PAGE / name)
    source = PINNED.read_text(encoding="utf-8")
    for name in (*PAGES, *SCRIPTS):
        digest = text_digest((PAGE / name).read_bytes())
        source = re.sub(rf'("{re.escape(name)}": )"[0-9a-f]{{64}}"', rf'\1"{digest}"', source)
    PINNED.write_text(source, encoding="utf-8")
    print(f"re-pinned {len(PAGES) + len(SCRIPTS)} files in {PAGE}")


if __name__ == "__main__":
    main()
