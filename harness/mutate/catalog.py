"""Every mutant of the twin: the AST operators over the modules in scope, plus the curated ones in semantic.toml;
the equivalent mutants explained in equivalent.toml; and the mutants of functions changed since a commit."""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.mutate.operators import Site, guarded, numbered, segment, sites, splice
from harness.mutate.stepmap import SCOPE, Steps, steps_of

HERE = Path(__file__).resolve().parent
SEMANTIC = HERE / "semantic.toml"
EQUIVALENT = HERE / "equivalent.toml"


class CatalogError(ValueError):
    """A curated or equivalent mutant that no longer matches the source, or a --since the repository cannot diff."""


@dataclass(frozen=True, slots=True)
class Mutant:
    """One broken copy of one module of the twin."""

    id: str
    operator: str  # refusal, negate, skip-mark, semantic
    rule: str
    module: str  # relative to the project root
    function: str
    line: int
    function_lines: tuple[int, int]
    steps: Steps
    original: str
    replacement: str
    span: tuple[int, int, int, int]
    guarded: tuple[int, int] | None = None  # what the `if` around a refusal's test runs when true (operators.guarded)

    @property
    def location(self) -> str:
        """Where it is, as an editor opens it."""
        return f"{self.module}:{self.line} ({self.function or 'module'})"

    def mutated_source(self, root: Path) -> str:
        """The module's source with this mutation."""
        return splice((root / self.module).read_text(encoding="utf-8"), self.span, self.replacement)


def _generated(root: Path, module: str) -> list[Mutant]:
    source = (root / module).read_text(encoding="utf-8")
    found: list[Site] = sites(source)
    stem = module.removeprefix("portal/").removesuffix(".py")
    mutants = []
    for number, site in numbered(found):
        function = site.function or "module"
        mutants.append(
            Mutant(
                id=f"{site.operator}:{stem}:{function}:{number}",
                operator=site.operator,
                rule=site.rule,
                module=module,
                function=site.function,
                line=site.line,
                function_lines=site.function_lines,
                steps=steps_of(module, site.function),
                original=site.original,
                replacement=site.replacement,
                span=site.span,
                guarded=guarded(source, site.span) if site.operator == "refusal" else None,
            )
        )
    return mutants


def _function_lines(source: str, function: str) -> tuple[int, int]:
    """First and last line of the function with that qualified name (CatalogError when there is none)."""
    for name, lines in _scopes(source):
        if name == function:
            return lines
    raise CatalogError(f"no function {function}")


def _scopes(source: str) -> list[tuple[str, tuple[int, int]]]:
    """Every function's qualified name and lines."""
    found: list[tuple[str, tuple[int, int]]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                found.append((prefix + child.name, (first, child.end_lineno or child.lineno)))
                walk(child, f"{prefix}{child.name}.")

    walk(ast.parse(source), "")
    return found


def _toml(path: Path, table: str, keys: tuple[str, ...]) -> list[dict[str, object]]:
    """The entries of `[[table]]` in `path`, each with every one of `keys` (CatalogError otherwise)."""
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get(table, [])
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{path.name}: {error}") from error
    for entry in entries:
        missing = [key for key in keys if not str(entry.get(key, "")).strip()]
        if missing:
            raise CatalogError(f"{path.name}: {entry.get('id', '?')} has no {', '.join(missing)}")
    return list(entries)


def _semantic(root: Path, path: Path) -> list[Mutant]:
    """The curated mutants; each `find` must occur exactly once inside its function."""
    mutants = []
    for entry in _toml(path, "mutant", ("id", "rule", "module", "function", "find", "replace")):
        name = f"{path.name}: {entry['id']}"
        module, function, find = str(entry["module"]), str(entry["function"]), str(entry["find"])
        if module not in SCOPE:
            raise CatalogError(f"{name}: module {module} is not in harness/mutate/stepmap.py's SCOPE")
        source = (root / module).read_text(encoding="utf-8")
        try:
            first, last = _function_lines(source, function)
        except CatalogError as error:
            raise CatalogError(f"{name}: {error} in {module}") from error
        lines = source.encode().splitlines(keepends=True)
        body = b"".join(lines[first - 1 : last])
        count = body.count(find.encode())
        if count != 1:
            raise CatalogError(f"{name}: `find` occurs {count} times in {module}:{function}, not once")
        offset = body.index(find.encode())
        line = first + body[:offset].count(b"\n")
        column = offset - (body.rfind(b"\n", 0, offset) + 1)
        end = body[: offset + len(find.encode())]
        end_line = first + end.count(b"\n")
        end_column = len(end) - (end.rfind(b"\n") + 1)
        span = (line, column, end_line, end_column)
        assert segment(lines, span) == find
        given = entry.get("steps")
        steps = tuple(int(step) for step in given) if isinstance(given, list) else steps_of(module, function)
        rule = str(entry["rule"])
        mutants.append(
            Mutant(
                f"semantic:{entry['id']}",
                "semantic",
                rule,
                module,
                function,
                line,
                (first, last),
                steps,
                find,
                str(entry["replace"]),
                span,
                guarded(source, span),
            )
        )
    return mutants


def catalog(root: Path, semantic: Path = SEMANTIC) -> list[Mutant]:
    """Every mutant of the twin, generated ones in module order, then the curated ones."""
    mutants = [mutant for module in SCOPE for mutant in _generated(root, module)]
    mutants += _semantic(root, semantic)
    seen: set[str] = set()
    for mutant in mutants:
        if mutant.id in seen:
            raise CatalogError(f"two mutants named {mutant.id}")
        seen.add(mutant.id)
    return mutants


def equivalents(path: Path = EQUIVALENT) -> dict[str, str]:
    """Mutant id → why it cannot be told apart from the twin (equivalent.toml)."""
    if not path.exists():
        return {}
    return {str(entry["id"]): str(entry["reason"]) for entry in _toml(path, "equivalent", ("id", "reason"))}


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def changed_lines(root: Path, since: str) -> dict[str, set[int]]:
    """Module → the lines (of the working tree's version) added or changed since commit `since`; a removed line counts
    as a change of the line now in its place."""
    command = ["git", "diff", "--unified=0", "--no-color", "--no-ext-diff", since, "--", "portal"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CatalogError(f"--since {since}: git diff failed: {done.stderr.strip().splitlines()[-1:]}")
    changed: dict[str, set[int]] = {}
    module = ""
    for line in done.stdout.splitlines():
        if line.startswith("+++ "):
            module = line[4:].removeprefix("b/") if line[4:] != "/dev/null" else ""
            continue
        hunk = _HUNK.match(line)
        if hunk and module:
            start, count = int(hunk.group(1)), int(hunk.group(2) or "1")
            changed.setdefault(module, set()).update(range(start, start + max(count, 1)))
    return changed


def since(root: Path, mutants: list[Mutant], changed: dict[str, set[int]]) -> list[Mutant]:
    """The mutants of functions with a changed line; a changed line outside every function (a constant, an import)
    selects every mutant of its module."""
    whole: set[str] = set()
    for module, lines in changed.items():
        if module in SCOPE and (root / module).exists():
            ranges = [span for _, span in _scopes((root / module).read_text(encoding="utf-8"))]
            if any(not any(first <= line <= last for first, last in ranges) for line in lines):
                whole.add(module)
    chosen = []
    for mutant in mutants:
        first, last = mutant.function_lines
        lines = changed.get(mutant.module, set())
        if mutant.module in whole or any(first <= line <= last for line in lines):
            chosen.append(mutant)
    return chosen


def compiles(root: Path, mutant: Mutant) -> None:
    """Raise SyntaxError when a mutant's module does not compile (a broken operator: never a mutant to run)."""
    compile(mutant.mutated_source(root), mutant.module, "exec")
