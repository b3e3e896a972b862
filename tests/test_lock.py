"""requirements.lock pins what pyproject.toml asks for, with hashes, and the venv holds exactly that.

The lock is what `make setup` installs (`pip install --require-hashes`), so two clones a week apart get the same
tree; `make lock` writes it. These checks fail when pyproject.toml gains or narrows a dependency the lock does not
satisfy (run `make lock`), when an entry lost its hashes, or when the venv drifted from the lock (a hand install).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


def _locked() -> dict[str, tuple[Version, list[str]]]:
    """Name → (pinned version, hashes) of each lock entry whose environment marker holds here."""
    entries: dict[str, tuple[Version, list[str]]] = {}
    current: str | None = None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            marker = match.group("marker")
            current = None
            if marker is None or Marker(marker).evaluate():
                current = canonicalize_name(match.group("name"))
                entries[current] = (Version(match.group("version")), [])
        elif current is not None and (hashed := re.search(r"--hash=(sha256:[0-9a-f]{64})", line)):
            entries[current][1].append(hashed.group(1))
    return entries


def _asked() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def test_every_dependency_of_pyproject_is_locked_at_a_version_it_accepts() -> None:
    locked = _locked()
    for requirement in _asked():
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": "dev"}):
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name][0]}, which pyproject.toml's {requirement} refuses: "
            "run `make lock`"
        )


def test_every_locked_entry_carries_hashes() -> None:
    unhashed = [name for name, (_, hashes) in _locked().items() if not hashes]
    assert not unhashed, f"entries without --hash (pip --require-hashes refuses them): {unhashed}"


def test_the_venv_holds_exactly_the_locked_versions() -> None:
    drifted = {}
    for name, (version, _) in _locked().items():
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            drifted[name] = "not installed"
            continue
        if installed != version:
            drifted[name] = f"{installed} installed, {version} locked"
    assert not drifted, f"the venv is not the lock's (rebuild it: rm -r .venv && make setup): {drifted}"


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.py")), ids=lambda path: path.name)
def test_notebook_headers_name_the_locked_jupytext(notebook: Path) -> None:
    header = re.search(r"jupytext_version: (\S+)", notebook.read_text(encoding="utf-8"))
    assert header is not None, "a jupytext percent-format header"
    # jupytext --sync (tpcd notebook) rewrites a header naming another version: the tracked file would change.
    assert Version(header.group(1)) == _locked()["jupytext"][0]
