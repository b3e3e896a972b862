"""The project carries its own knowledge: every citation names a file in the repository, every link in the Markdown
resolves (file and heading), and README.md stays a landing page, with the manual in docs/."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_LIMIT = 250
# Reference documents that live outside the repository and that users never see. Spelled in pieces so that this file
# does not name them itself.
OUTSIDE = (*(f"{name}.md" for name in ("PROTOCOLS", "DESIGN", "STYLE", "ENVIRONMENT")), "../" + "shared")
# The guide's copy keeps the guide's own image links: the images stay on the guide's site and are not shipped here.
GUIDE_IMAGES = ("docs/taipei-card-gold-member-steps.md", ".gitbook/assets/")
# A docs/ path as code and Markdown cite it: not the tail of another path or URL (…/recaptcha/docs/display).
DOCS_PATH = re.compile(r"(?<![\w./-])(docs/[\w./-]*\.(?:md|png))(?:#([\w-]+))?")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
EXPLICIT_ANCHOR = re.compile(r"""\bid=["']([^"']+)["']""")


@cache
def tracked() -> tuple[Path, ...]:
    """Every file git tracks in this checkout (what a clone carries), without .git itself."""
    listing = subprocess.run(
        # safe.directory: a checkout owned by another user (a CI container) is still listed.
        ["git", "-c", "safe.directory=*", "ls-files", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stdout
    return tuple(ROOT / name for name in listing.split("\0") if name and (ROOT / name).is_file())


def text_of(path: Path) -> str | None:
    """The file as text, or None for a binary file (a NUL byte in it)."""
    data = path.read_bytes()
    return None if b"\0" in data else data.decode("utf-8", errors="replace")


def prose_lines(markdown: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks: a `#` or a link inside a fence is code, not Markdown."""
    lines, fenced = [], False
    for number, line in enumerate(markdown.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens (github-slugger)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    kept = "".join(c for c in text if c in "-_ " or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every anchor a Markdown file offers: its headings' slugs (repeats numbered as GitHub does) and explicit ids."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    text = path.read_text(encoding="utf-8")
    for _, line in prose_lines(text):
        if heading := HEADING.match(line):
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    found.update(EXPLICIT_ANCHOR.findall(text))
    return frozenset(found)


def markdown_files() -> list[Path]:
    """README.md, docs/ and every other Markdown file the repository carries."""
    return [path for path in tracked() if path.suffix == ".md"]


def broken_target(target: Path, anchor: str | None) -> str | None:
    """Why a cited file (and heading) does not resolve, or None when it does."""
    if not target.exists():
        return "no such file"
    if anchor and target.suffix == ".md" and anchor not in anchors(target):
        return f"no heading #{anchor} in {target.relative_to(ROOT)}"
    return None


def test_no_file_names_a_document_outside_the_repository() -> None:
    found = []
    for path in tracked():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found += [f"{path.relative_to(ROOT)}:{number}: {name}" for name in OUTSIDE if name in line]
    assert not found, "cite the docs/ page that holds the fact instead:\n" + "\n".join(found)


def test_every_cited_docs_path_exists() -> None:
    broken = []
    for path in tracked():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in DOCS_PATH.finditer(line):
                cited, anchor = match.group(1), match.group(2)
                if why := broken_target(ROOT / cited, anchor):
                    broken.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}: {why}")
    assert not broken, "\n".join(broken)


def test_every_relative_markdown_link_resolves() -> None:
    broken = []
    for path in markdown_files():
        for number, line in prose_lines(path.read_text(encoding="utf-8")):
            for target in LINK.findall(INLINE_CODE.sub("", line)):
                if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …: not a file of ours
                    continue
                file_part, _, anchor = unquote(target).partition("#")
                if (path.relative_to(ROOT).as_posix(), file_part[: len(GUIDE_IMAGES[1])]) == GUIDE_IMAGES:
                    continue
                resolved = (path.parent / file_part).resolve() if file_part else path
                if why := broken_target(resolved, anchor or None):
                    broken.append(f"{path.relative_to(ROOT)}:{number}: ({target}): {why}")
    assert not broken, "\n".join(broken)


def test_readme_is_a_landing_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = len(readme.splitlines())
    assert lines <= README_LIMIT, f"README.md has {lines} lines (at most {README_LIMIT}): move the detail to docs/"
    for command in ("make run", "make test", "docs/index.md"):
        assert command in readme


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("What `make run` produces", "what-make-run-produces"),
        ("PC/SC and the virtual card", "pcsc-and-the-virtual-card"),
        ("What the twin's own tests hold it to", "what-the-twins-own-tests-hold-it-to"),
        ("Security: what the suite checks on any portal", "security-what-the-suite-checks-on-any-portal"),
        ("臺北卡3.0一般會員申請步驟", "臺北卡30一般會員申請步驟"),
        ("The agent (安控元件)", "the-agent-安控元件"),
    ],
)
def test_anchors_are_githubs(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_broken_link_is_reported() -> None:
    page = ROOT / "docs" / "index.md"
    assert broken_target(page, "no-such-heading") == "no heading #no-such-heading in docs/index.md"
    missing = "docs/" + "missing.md"  # in pieces, or the scan of this file would report it
    assert broken_target(ROOT / missing, None) == "no such file"
    assert broken_target(page, "using-it") is None
