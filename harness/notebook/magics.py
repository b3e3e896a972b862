"""The magics: `%tpcd …` (the stack, scenarios, faults, reports), `%%gherkin` (steps in a cell) and `%%browser`
(page objects driven from a cell, on the browser thread)."""

from __future__ import annotations

import argparse
import ast
import shlex
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import HTML, DisplayHandle, display

from harness.attach import AttachError
from harness.notebook import views
from harness.notebook.browser import BrowserError
from harness.notebook.lifecycle import NotUp
from harness.notebook.model import Event, GherkinRun, Problem, ScenarioEnded, ScenarioStarted
from harness.notebook.reopen import ReopenError
from harness.notebook.session import Notebook
from harness.report import ReportError
from harness.settings import SettingsError
from simulators.client import SimulatorError

# What a magic reports as a one-line usage error: nothing up yet, a bad seed or fault name, a simulator's refusal, a
# browser or report that cannot start. Anything else keeps its traceback.
EXPECTED = (
    NotUp,
    ValueError,
    KeyError,
    SimulatorError,
    SettingsError,
    AttachError,
    BrowserError,
    ReportError,
    ReopenError,
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistyped magic as IPython's UsageError instead of exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or self.format_help())


def _tpcd_parser() -> _Parser:
    top = _Parser(prog="%tpcd", description="tpcd-harness in a notebook")
    commands = top.add_subparsers(dest="command", parser_class=_Parser)
    up = commands.add_parser("up", help="start the stack and the browser; show the links and the first citizen")
    up.add_argument("--seed", type=int, help="base seed of the notebook's citizens (default: drawn and shown)")
    up.add_argument("--headed", action="store_true", help="show the browser window (needs a display)")
    up.add_argument("--base-url", help="explore a deployed portal instead of the embedded twin")
    up.add_argument("--attach", metavar="STACK.json", help="attach to a running `tpcd up --listen` stack (file or URL)")
    commands.add_parser("down", help="stop the stack and the browser")
    commands.add_parser("status", help="the links of the running stack and the current citizen")
    new = commands.add_parser("new", help="a new scenario to explore by hand: reset, new citizen and page")
    new.add_argument("--seed", type=int, help="the citizen's seed (e.g. from a report)")
    new.add_argument("--worker", type=int, default=0, help="the xdist worker number the citizen was made for")
    new.add_argument("--no-card", action="store_true", help="leave the reader empty")
    fault = commands.add_parser("fault", help="arm a fault by its protocol name, e.g. %%tpcd fault sms s")
    fault.add_argument("simulator", help="sms, mail, captcha, netizen, registry, ocsp, agent or card")
    fault.add_argument("fault", help="the fault's value in the protocol's terms (SmsFault, MailFault …)")
    fault.add_argument("--match", help="only for this target (a mobile, an address, an ID number)")
    fault.add_argument("--times", type=int, default=1, help="how many uses (default 1)")
    fault.add_argument("--always", action="store_true", help="until the next reset")
    fault.add_argument("--seconds", type=float, help="for slow and delayed faults")
    commands.add_parser("faults", help="every simulator's armed faults")
    commands.add_parser("shot", help="the current page, as the citizen sees it")
    keep = commands.add_parser("feature", help="keep this scenario's steps that passed as a .feature file")
    keep.add_argument("path", help="where to write it (relative to the project), e.g. features/10_explored.feature")
    keep.add_argument("--feature", required=True, help="the 功能 line")
    keep.add_argument("--scenario", required=True, help="the 場景 line")
    keep.add_argument("--tags", default="", help="comma-separated tags, e.g. doc-step-4,sms,fault")
    commands.add_parser("report", help="build the Allure report of this notebook's runs")
    commands.add_parser("certify", help="run certify-agent against this notebook's 安控元件")
    return top


def _gherkin_parser() -> _Parser:
    parser = _Parser(prog="%%gherkin", description="run the cell's Gherkin against the notebook's stack")
    parser.add_argument("--continue", dest="proceed", action="store_true", help="go on with the current scenario")
    parser.add_argument("--seed", type=int, help="the (first) scenario's citizen seed, e.g. from a report")
    parser.add_argument("--worker", type=int, default=0, help="the xdist worker number the citizen was made for")
    parser.add_argument("-m", dest="markers", help="only the scenarios whose tags match, e.g. 'sms and not fault'")
    return parser


def show(html: str) -> DisplayHandle:
    """Display `html` as an output that can be updated in place (IPython's display is untyped)."""
    handle = display(HTML(html), display_id=True)  # type: ignore[no-untyped-call]
    assert isinstance(handle, DisplayHandle)
    return handle


def update(handle: DisplayHandle, html: str) -> None:
    """Replace a shown output (nbclient keeps the last version in the saved notebook)."""
    handle.update(HTML(html))  # type: ignore[no-untyped-call]


class LiveView:
    """A run's scenarios and steps as display outputs that update in place while the run goes on."""

    def __init__(self) -> None:
        self.handles: dict[tuple[int, int | None], DisplayHandle] = {}

    def __call__(self, run: GherkinRun, event: Event) -> None:
        if isinstance(event, ScenarioStarted):
            scenario = run.scenarios[event.scenario]
            self._show((event.scenario, None), views.scenario_html(scenario))
            for number, step in enumerate(scenario.steps):
                self._show((event.scenario, number), views.step_html(step))
            return
        if isinstance(event, Problem):
            show(views.run_summary_html(run))  # a problem outside the scenarios (the feature did not parse)
            return
        if isinstance(event, ScenarioEnded):  # the steps it never reached are "not run" now
            for number, step in enumerate(run.scenarios[event.scenario].steps):
                if step.status == "not run":
                    self._show((event.scenario, number), views.step_html(step))
        index: int | None = getattr(event, "step", None)
        scenario = run.scenarios[event.scenario]
        html = views.scenario_html(scenario) if index is None else views.step_html(scenario.steps[index])
        self._show((event.scenario, index), html)

    def _show(self, key: tuple[int, int | None], html: str) -> None:
        handle = self.handles.get(key)
        if handle is None:
            self.handles[key] = show(html)
        else:
            update(handle, html)


@magics_class
class TpcdMagics(Magics):
    """`%tpcd`, `%%gherkin` and `%%browser`, over the kernel's one Notebook."""

    def __init__(self, shell: InteractiveShell, notebook: Notebook) -> None:
        super().__init__(shell)
        self.notebook = notebook
        self._shared = -1  # the notebook's `changes` last put in the user's namespace
        notebook.live = LiveView

    @line_magic
    def tpcd(self, line: str) -> Any:
        """%tpcd up|down|status|new|fault|faults|shot|feature|report|certify — see `%tpcd --help`."""
        args = _tpcd_parser().parse_args(shlex.split(line) or ["status"])
        try:
            return self._command(args)
        except EXPECTED as error:  # said in one line, without a traceback into the harness
            raise UsageError(f"%tpcd {args.command}: {error}") from error

    def _command(self, args: argparse.Namespace) -> Any:
        notebook = self.notebook
        if args.command == "up":
            links = notebook.up(seed=args.seed, headed=args.headed, base_url=args.base_url, attach=args.attach)
            self._share()
            show(views.links_html(links))
            show(views.citizen_html(notebook.citizen))
            return None
        if args.command == "down":
            notebook.close()
            print("tpcd-harness 已停止")
            return None
        if args.command == "status":
            show(views.links_html(notebook.links()))
            if notebook.scene is not None:
                show(views.citizen_html(notebook.citizen))
            return None
        if args.command == "new":
            scene = notebook.new_scenario(args.seed, worker=args.worker, card=not args.no_card)
            self._share()
            return scene.citizen
        if args.command == "fault":
            times = None if args.always else args.times
            return notebook.arm(args.simulator, args.fault, match=args.match, times=times, seconds=args.seconds)
        if args.command == "faults":
            return notebook.faults()
        if args.command == "shot":
            show(views.screenshot_html(notebook.screenshot_evidence()))
            return None
        if args.command == "feature":
            tags = tuple(tag.strip() for tag in args.tags.split(",") if tag.strip())
            path = notebook.keep_as_feature(args.path, feature=args.feature, scenario=args.scenario, tags=tags)
            print(f"已寫入 {path}")
            gaps = sum(line.startswith("#") for line in notebook.require_scene().journal)
            if gaps:
                print(f"其中 {gaps} 行是 %%browser 格子做的事（# 註解）：請以步驟取代，這個場景才完整。")
            return path
        if args.command == "report":
            index = notebook.report()
            print(f"Allure 報告：{index}")
            return index
        if args.command == "certify":
            outcomes = notebook.certify_agent()
            show(views.outcomes_html(outcomes))
            return outcomes
        raise UsageError(f"unknown %tpcd command {args.command!r}")

    @cell_magic
    def gherkin(self, line: str, cell: str) -> GherkinRun:
        """Run the cell's Gherkin (zh-TW; steps, scenarios or a whole feature) through the project's steps."""
        args = _gherkin_parser().parse_args(shlex.split(line))
        try:
            run = self.notebook.gherkin(
                cell, proceed=args.proceed, seed=args.seed, worker=args.worker, markers=args.markers
            )
        except (NotUp, ValueError) as error:  # nothing up yet; a cell with no Gherkin
            raise UsageError(f"%%gherkin: {error}") from error
        self._share()
        return run

    @cell_magic
    def browser(self, line: str, cell: str) -> Any:
        """Run the cell's Python on the browser thread, with `page`, `citizen`, the page objects and the step
        fixtures of the current scenario; then show the page (not with `%%browser --no-shot`). The last expression's
        value is the cell's."""
        self._share()
        if self.notebook.scene is None:
            raise UsageError("%%browser: no page yet: run %tpcd up first")
        tree = ast.parse(cell, filename="<%%browser>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        assert last is None or isinstance(last, ast.Expr)
        namespace = self.shell.user_ns if self.shell is not None else {}
        body = compile(tree, "<%%browser>", "exec")
        value = compile(ast.Expression(last.value), "<%%browser>", "eval") if last is not None else None

        def work() -> Any:
            exec(body, namespace)
            return eval(value, namespace) if value is not None else None

        scene = self.notebook.scene
        before = (scene.page.url, {name: id(value) for name, value in scene.carry.items()}) if scene else None
        try:
            result = self.notebook.in_browser(work)
        finally:
            if scene is not None and scene is self.notebook.scene:
                # A cell that moved on (`screen = screen.fill_and_continue(citizen)`) hands its fixtures to the next
                # %%gherkin --continue, and leaves a comment where a kept .feature needs a step instead.
                scene.carry.update({name: namespace[name] for name in scene.carry if name in namespace})
                after = (scene.page.url, {name: id(value) for name, value in scene.carry.items()})
                if after != before:
                    first = next((text.strip() for text in cell.splitlines() if text.strip()), "")
                    scene.journal.append(f"# %%browser: {first}（以步驟取代這一行）")
            if scene is not None and "--no-shot" not in line:
                show(views.screenshot_html(self.notebook.screenshot_evidence()))
        self._share()
        return result

    def _share(self) -> None:
        """`page`, `citizen` and the scenario's step fixtures (`screen`, `codes` …) in the user's namespace, whenever
        the scenario changed (a %%gherkin cell, `tpcd.gherkin(…)`, `%tpcd new`); the extension also calls this after
        every cell. A variable the user set in between stays until the scenario changes again."""
        scene = self.notebook.scene
        if self.shell is None or scene is None or self.notebook.changes == self._shared:
            return
        self._shared = self.notebook.changes
        self.shell.user_ns.update({"page": scene.page, "citizen": scene.citizen, **scene.carry})

    def after_cell(self, result: object) -> None:
        """IPython's post_run_cell event."""
        self._share()
