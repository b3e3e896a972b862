"""The mutation operators: mutants of a Python source made from its AST, each a splice of the original text.

A mutant keeps every other line as it was (comments, line numbers), so a traceback from it points at the real code.
Three operators, each a rule a portal team's regression could break:

- `refusal`: the condition of an `if` whose body refuses (raises, `continue`s, returns a refusal: None/False, a
  redirect, a response with a 3xx–5xx status, a `Busy`/`LoginLocked`/`CodeCheck` verdict other than ACCEPTED; appends
  to `errors`; sets a notice in the session) made never true, and for `A or B`, each alternative dropped apiece;
- `negate`: each comparison inside a function negated (`a < b` → `not (a < b)`);
- `skip-mark`: each statement that records a use or a consumption removed (an SQL `SET used = 1`, `ended_at`,
  `answered = 1`, an `INSERT INTO` of login failures, deliveries or ID probes; a call of `use_challenge`,
  `retire_challenges`, `end_session`, `end_application`, `sign_out`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

REFUSAL_CALLS = frozenset({"RedirectResponse", "Busy", "LoginLocked", "SessionLacks"})
MARK_CALLS = frozenset({"use_challenge", "retire_challenges", "end_session", "end_application", "sign_out"})
MARK_SQL = re.compile(
    r"\bSET\s+(used\s*=\s*1|ended_at\b|answered\s*=\s*1)|\bINSERT\s+(OR\s+IGNORE\s+)?INTO\s+(login_failures|deliveries|id_probes)\b",
    re.IGNORECASE,
)
SQL_CALLS = frozenset({"execute", "_write"})


@dataclass(frozen=True, slots=True)
class Site:
    """One place a mutant changes: what the rule is, where, the original text and its replacement."""

    operator: str
    rule: str
    function: str  # qualified name of the enclosing function ("Store.take_nonce"), "" at module level
    function_lines: tuple[int, int]  # first and last line of that function (for --since)
    line: int
    span: tuple[int, int, int, int]  # start line, start byte column, end line, end byte column (ast's offsets)
    original: str
    replacement: str


@dataclass(slots=True)
class _Scope:
    """The function being walked: its name and lines."""

    name: str = ""
    lines: tuple[int, int] = (0, 0)
    strings: dict[str, str] = field(default_factory=dict)  # local names bound to a string constant (SQL held apart)


def segment(lines: list[bytes], span: tuple[int, int, int, int]) -> str:
    """The source text of `span` (ast's line numbers and UTF-8 byte columns)."""
    start_line, start_col, end_line, end_col = span
    if start_line == end_line:
        return lines[start_line - 1][start_col:end_col].decode()
    parts = [lines[start_line - 1][start_col:], *lines[start_line : end_line - 1], lines[end_line - 1][:end_col]]
    return b"".join(parts).decode()


def splice(source: str, span: tuple[int, int, int, int], replacement: str) -> str:
    """`source` with the text at `span` replaced; every other byte, and so every other line number, unchanged."""
    lines = source.encode().splitlines(keepends=True)
    start_line, start_col, end_line, end_col = span
    head = b"".join(lines[: start_line - 1]) + lines[start_line - 1][:start_col]
    tail = lines[end_line - 1][end_col:] + b"".join(lines[end_line:])
    return (head + replacement.encode() + tail).decode()


def _span(node: ast.expr | ast.stmt) -> tuple[int, int, int, int]:
    assert node.end_lineno is not None
    assert node.end_col_offset is not None
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def guarded(source: str, span: tuple[int, int, int, int]) -> tuple[int, int] | None:
    """The lines the innermost `if` or `while` whose test `span` overlaps (a curated mutant may rewrite the whole
    `if …:` line) runs when that test is true: a scenario that ran them on the twin met the rule a mutant of that test
    breaks, the likeliest to kill it (None: no such test)."""
    found: ast.If | ast.While | None = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If | ast.While) and node.body:
            test = _span(node.test)
            if test[:2] <= span[2:] and span[:2] <= test[2:] and (found is None or node.lineno > found.lineno):
                found = node
    if found is None:
        return None
    return found.body[0].lineno, found.body[-1].end_lineno or found.body[-1].lineno


def _called(node: ast.expr) -> str:
    """The name a call calls: `f` of `f(…)`, `m` of `x.m(…)`; "" for anything else."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return ""


def _refusing_value(value: ast.expr | None) -> bool:
    """Whether a returned value says no: None/False, a redirect, a 3xx–5xx response, a Busy/LoginLocked, a verdict."""
    if isinstance(value, ast.Constant):
        return value.value is None or value.value is False
    if isinstance(value, ast.Tuple) and value.elts:
        first = value.elts[0]
        return isinstance(first, ast.Attribute) and first.attr.isupper() and first.attr != "ACCEPTED"
    if isinstance(value, ast.Call):
        if _called(value) in REFUSAL_CALLS:
            return True
        for keyword in value.keywords:
            status = keyword.value
            if keyword.arg in {"status_code", "refused", "errors"} and not (
                isinstance(status, ast.Constant) and isinstance(status.value, int) and status.value < 300
            ):
                return True
    return False


def refuses(statement: ast.stmt) -> bool:
    """Whether one statement of an `if` body is a refusal (see the module's docstring)."""
    if isinstance(statement, ast.Raise | ast.Continue):
        return True
    if isinstance(statement, ast.Return):
        return _refusing_value(statement.value)
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        return isinstance(func, ast.Attribute) and func.attr == "append" and ast.unparse(func.value) == "errors"
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant | ast.JoinedStr):
        targets = statement.targets
        return any(isinstance(t, ast.Subscript) and ast.unparse(t.value) == "request.session" for t in targets)
    return False


class _Walker(ast.NodeVisitor):
    """Collects every Site of a module, tracking the enclosing function."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines
        self.sites: list[Site] = []
        self.scope = _Scope()
        self.classes: list[str] = []
        self.marked: set[int] = set()  # calls already removed with their statement

    def _add(self, operator: str, rule: str, node: ast.expr | ast.stmt, replacement: str) -> None:
        span = _span(node)
        original = segment(self.lines, span)
        site = Site(operator, rule, self.scope.name, self.scope.lines, node.lineno, span, original, replacement)
        self.sites.append(site)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        name = ".".join([*self.classes, node.name]) if not outer.name else f"{outer.name}.{node.name}"
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        self.scope = _Scope(name, (first, node.end_lineno or node.lineno))
        for statement in node.body:  # not the decorators or defaults: they run at import, outside any rule
            self.visit(statement)
        self.scope = outer

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Assert(self, node: ast.Assert) -> None:
        """An assert states what is known (for mypy): no rule of the portal's to mutate."""

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.scope.strings[target.id] = node.value.value
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if self.scope.name and any(refuses(statement) for statement in node.body):
            condition = segment(self.lines, _span(node.test))
            self._add("refusal", f"refusal disabled: `if {_short(condition)}` never true", node.test, "False")
            if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.Or):
                for alternative in node.test.values:
                    text = segment(self.lines, _span(alternative))
                    rule = f"refusal narrowed: `{_short(text)}` dropped from `if {_short(condition)}`"
                    self._add("refusal", rule, alternative, "False")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if self.scope.name:
            text = segment(self.lines, _span(node))
            self._add("negate", f"comparison negated: `{_short(text)}`", node, f"(not ({text}))")
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if self.scope.name and self._marks(node.value):
            text = segment(self.lines, _span(node))
            self._add("skip-mark", f"single-use mark skipped: `{_short(text)}`", node, "pass")
            self.marked.add(id(node.value))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        """A marking SQL statement whose cursor is kept (`row = db.execute("INSERT …").lastrowid`): the statement is
        swapped for one that records nothing, so what follows still runs."""
        if self.scope.name and id(node) not in self.marked and _called(node) in SQL_CALLS and self._marks(node):
            text = segment(self.lines, _span(node))
            function = segment(self.lines, _span(node.func))
            self._add("skip-mark", f"single-use mark skipped: `{_short(text)}`", node, f'{function}("SELECT NULL")')
        self.generic_visit(node)

    def _marks(self, value: ast.expr) -> bool:
        """Whether an expression statement records a use or a consumption."""
        called = _called(value)
        if called in MARK_CALLS:
            return True
        if called in SQL_CALLS and isinstance(value, ast.Call) and value.args:
            sql = value.args[0]
            text = sql.value if isinstance(sql, ast.Constant) and isinstance(sql.value, str) else None
            if isinstance(sql, ast.Name):
                text = self.scope.strings.get(sql.id)
            return text is not None and MARK_SQL.search(text) is not None
        return False


def _short(text: str, limit: int = 90) -> str:
    """One line of at most `limit` characters, for a rule's description."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def sites(source: str) -> list[Site]:
    """Every mutation site of a module's source, in source order."""
    walker = _Walker(source.encode().splitlines(keepends=True))
    walker.visit(ast.parse(source))
    return sorted(walker.sites, key=lambda site: (site.span, site.operator))


def apply(source: str, site: Site) -> str:
    """The module's source with `site` mutated."""
    return splice(source, site.span, site.replacement)


def numbered(found: list[Site]) -> Iterator[tuple[int, Site]]:
    """Each site with its number among the sites of the same operator in the same function, from 1: a name for it that
    stays the same when lines move elsewhere in the file."""
    counts: dict[tuple[str, str], int] = {}
    for site in found:
        key = (site.operator, site.function)
        counts[key] = counts.get(key, 0) + 1
        yield counts[key], site
