"""`tpcd`: start the stack for a person, run the suite and build the report, check the machine, trace the steps."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from types import FrameType
from typing import Any

from domain.card import card_holder
from harness import certify, staging
from harness.attach import AttachError, attach_stack, probe_portal, probe_stack, publish, unpublish
from harness.certify.requirements import REQUIREMENTS
from harness.citizens import card_services, make_citizen
from harness.doctor import check_chromium, run_checks
from harness.interrupts import run_interruptible
from harness.mutate import command as mutate
from harness.portal_config import write_private
from harness.report import ReportError, build_report
from harness.settings import ENV_PREFIX, Settings, SettingsError, load_settings, writable_folder
from harness.simulator_table import SERVICE_PORTS
from harness.stack import Stack
from harness.trace import as_json, as_table, coverage
from simulators.card.client import RemoteReader
from simulators.card.pcscd import PcscUnavailable
from simulators.card.service import CardServer, CardServerSettings
from simulators.registry import RegistryClient
from simulators.serving import ServiceStartError
from simulators.standalone import is_loopback

SETTING_NAMES = {f.name for f in fields(Settings)} - {"project_root"}
"""Settings a command line may set: an option whose `dest` is one of these is a setting (defaults < pyproject <
environment < command line), and `tpcd run` hands each one given to the pytest it starts."""


def _stop_on_sigterm() -> threading.Event:
    """Turn SIGTERM (and Ctrl-C) into a clean return from the wait, so every `finally` runs."""
    stopped = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stopped


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """Hold the stack up until Ctrl-C or SIGTERM; print its URLs (one JSON line with --json) and write what a
    deployment and an attached run need into the stack directory."""
    stopped = _stop_on_sigterm()
    try:
        writable_folder(settings, "stack_dir", new_mode=0o700)  # it will hold the token and portal.env
        with Stack(settings) as stack:
            _hold(stack, stopped, as_json=args.json, keep=args.keep)
    except (SettingsError, ServiceStartError, PcscUnavailable) as error:
        print(f"tpcd: {error}", file=sys.stderr)
        return 2
    return 0


def _hold(stack: Stack, stopped: threading.Event, *, as_json: bool, keep: bool = False) -> None:
    """Put the demo citizen's card in, publish the stack, wait for the stop; unpublish on the way out."""
    settings = stack.settings
    seed = settings.seed if settings.seed is not None else 20180423
    citizen = make_citizen(seed)
    if stack.card is not None:
        stack.card.insert(card_holder(citizen))
    with RegistryClient(stack.urls["registry"], token=stack.token) as registry:
        registry.set_holdings(citizen.id_number, card_services(citizen))
    demo = {
        "name": citizen.name,
        "id_number": citizen.id_number,
        "mobile": citizen.mobile,
        "email": citizen.email,
        "pin": citizen.pin,  # shown on purpose: a person types it by hand into the PINCODE box
        "password": citizen.password,
        "seed": seed,
    }
    try:
        described = publish(stack, demo)
        if as_json:
            print(json.dumps(described, ensure_ascii=False), flush=True)
        else:
            _print_up(stack, described)
        stopped.wait()
    finally:
        unpublish(settings, keep=keep)


def _print_up(stack: Stack, described: Mapping[str, Any]) -> None:
    """`tpcd up` for a person: the URLs, where the token and the deployment's configuration are, the demo citizen."""
    print("tpcd-harness 已啟動（Ctrl-C 停止）")
    for name, url in stack.urls.items():
        print(f"  {name:<14} {url}")
    desktop = stack.urls["agent_desktop"]
    print(f"  簡訊收件匣     {stack.urls['sms']}/   電子郵件收件匣 {stack.urls['mail_api']}/")
    print(f"  安控元件安裝檔 {desktop}/installer   右下角狀態 {desktop}/tray")
    citizen = described["citizen"]
    print(f"  示範市民  {citizen['name']} {citizen['id_number']} 手機 {citizen['mobile']} PIN {citizen['pin']}")
    if stack.pcsc_socket:
        print(f"  自然人憑證已插入「{stack.urls['reader']}」；以 PC/SC 工具查看：")
        print(f"    PCSCLITE_CSOCK_NAME={stack.pcsc_socket} pcsc_scan")
    settings = stack.settings
    print(f"本 stack 的描述（tpcd run --stack）：{settings.path(settings.stack_dir).resolve()}/stack.json")
    if described["token_file"]:
        print(f"控制介面與收件匣需要 token（Authorization: Bearer），存於 {described['token_file']}")
    if described["portal_config"]:
        print(f"入口網站部署設定：{described['portal_config']}（測試用 MOICA 憑證鏈：{described['ca_chain']}）")
    if described["stack_ca"]:
        print(f"各服務以 HTTPS 提供（綁定於 loopback 之外），信任此 CA：{described['stack_ca']}")
    print(f"reCAPTCHA 的 HTTPS（給寫死 https 的用戶端）：{stack.urls['captcha_https']}，信任 {described['captcha_ca']}")
    print("入口網站部署需設定：")
    for key, value in described["deployment"].items():
        print(f"  {key}={value}")
    sys.stdout.flush()


def _pytest_environ(cli: Mapping[str, Any]) -> dict[str, str]:
    """The environment of the pytest `tpcd run` starts: every setting given on tpcd's command line as TPCD_*, so the
    suite reads the same settings (`tpcd --base-url X run` tests X)."""
    environ = dict(os.environ)
    for name, value in cli.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = ",".join(map(str, value))
        environ[ENV_PREFIX + name.upper()] = str(value)
    return environ


def _check_target(settings: Settings) -> str | None:
    """Before a browser starts: the stack answers and takes the token, the base URL is the portal (AttachError
    otherwise); a warning when a deployed portal is tested without a stack it was configured with."""
    prepared = staging.prepare(settings)  # its basic auth and CAs (docs/deployment.md#staging)
    try:
        if settings.stack is not None:
            attached = attach_stack(settings)
            with staging.trusted([attached.ca_pem] if attached.ca_pem else []):  # its HTTPS ports' CA
                probe_stack(attached)
        if settings.base_url is not None:
            probe_portal(settings.base_url)
    finally:
        prepared.close()
    if settings.base_url is not None and settings.stack is None:
        return (
            f"tpcd: {settings.base_url} is tested with simulators on this machine's loopback, which it was not "
            "configured with: past documented step 4 nothing can pass. Give --stack (docs/deployment.md)"
        )
    return None


DEFAULT_WORKERS = 2  # what a 2-core machine gains most from: each worker keeps about one core busy


def _check_run(settings: Settings, *, chromium_given: bool) -> None:
    """What a run needs before pytest starts, each refused in one line: a browser (unless pytest is given one), a
    folder to report into."""
    chromium = check_chromium(settings)
    if not chromium.ok and not chromium_given:
        raise SettingsError(f"chromium {chromium.detail}: {chromium.fix}")
    writable_folder(settings, "reports_dir")


def _workers(pytest_args: list[str]) -> list[str]:
    """Two pytest-xdist workers, longest scenarios first (harness.plugin.balance), unless the pytest arguments say how
    many (`-n 1`, `-n 0` for one process) or turn xdist off."""
    given = ("-n", "--numprocesses", "--dist", "-d", "no:xdist")
    if any(arg.startswith(given) for arg in pytest_args):
        return []
    return ["-n", str(DEFAULT_WORKERS), "--dist", "worksteal"]


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the Gherkin suite, build the report, print the step summary and the report's path."""
    try:
        _check_run(settings, chromium_given=any(a.startswith("--browser-executable") for a in args.pytest_args))
        warning = _check_target(settings)
    except (AttachError, SettingsError) as error:
        print(f"tpcd: {error}", file=sys.stderr)
        return 2
    if warning:
        print(warning, file=sys.stderr)
    results = settings.allure_results
    command = [sys.executable, "-m", "pytest", "steps", "--alluredir", str(results), "--clean-alluredir"]
    command += ["--tracing=retain-on-failure", "--video=retain-on-failure"]
    command += ["--output", str(settings.path(settings.reports_dir) / "playwright")]
    command += ["--junitxml", str(settings.path(settings.reports_dir) / "junit.xml")]  # for CI systems without Allure
    command += [*_workers(args.pytest_args), *args.pytest_args]
    environ = _pytest_environ(args.settings)
    finished = run_interruptible(command, cwd=settings.project_root, env=environ)
    if finished.interrupted is not None:
        stopped = finished.interrupted.name
        print(f"tpcd: {stopped}: the suite stopped after its teardown; no report built", file=sys.stderr)
        return finished.exit_code
    code = finished.code
    print()
    print(as_table(coverage(settings.path(Path("features")), settings.project_root, results)))
    try:
        index = build_report(settings)
    except ReportError as error:
        print(f"\n報告無法產生：{error}", file=sys.stderr)
        return code or 1
    print(f"\nAllure 報告：{index}\n（單一檔案，可直接用瀏覽器開啟；不連外部網路）")
    return code


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Build the HTML report from reports/allure-results."""
    try:
        writable_folder(settings, "reports_dir")
        index = build_report(settings)
    except (ReportError, SettingsError) as error:
        print(f"報告無法產生：{error}", file=sys.stderr)
        return 1
    print(index)
    return 0


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Check the machine; print each problem with its fix; non-zero when something needed is missing."""
    problems = 0
    for check in run_checks(settings):
        mark = "ok " if check.ok else "NG "
        print(f"[{mark}] {check.name}: {check.detail}")
        if not check.ok:
            problems += 1
            print(f"       fix: {check.fix}")
    print("all checks passed" if problems == 0 else f"{problems} problem(s) found")
    return 0 if problems == 0 else 1


def cmd_trace(settings: Settings, args: argparse.Namespace) -> int:
    """Print the documented step → scenario matrix; non-zero when a step has no scenario, or (when there are
    results) no passing scenario."""
    results = Path(args.results).resolve() if args.results else settings.allure_results
    matrix = coverage(settings.path(Path("features")), settings.project_root, results)
    print(json.dumps(as_json(matrix), ensure_ascii=False) if args.json else as_table(matrix))
    uncovered = [row.step for row in matrix if not row.scenarios]
    if uncovered:
        print(f"uncovered documented steps: {', '.join(map(str, uncovered))}", file=sys.stderr)
        return 1
    ran = any(s["status"] != "not run" for row in matrix for s in row.scenarios)
    unproven = [row.step for row in matrix if not any(s["status"] == "passed" for s in row.scenarios)]
    if ran and unproven:
        print(f"documented steps with no passing scenario: {', '.join(map(str, unproven))}", file=sys.stderr)
        return 1
    return 0


def cmd_certify_agent(settings: Settings, args: argparse.Namespace) -> int:
    """Run the agent conformance suite against --agent-url; write the verdict, JUnit, summary and Allure report."""
    report_dir = Path(args.report).resolve()
    chosen = {}
    for option in ("only", "allow_not_run"):
        chosen[option] = tuple(r.strip().upper() for r in (getattr(args, option) or "").split(",") if r.strip())
        unknown = [requirement for requirement in chosen[option] if requirement not in REQUIREMENTS]
        if unknown:
            known = f"{next(iter(REQUIREMENTS))} … {next(reversed(REQUIREMENTS))}"
            flag = "--" + option.replace("_", "-")
            print(f"tpcd certify-agent: {flag}: no requirement {', '.join(unknown)} ({known})", file=sys.stderr)
            return 2
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        previous = certify.load_verdict(Path(args.compare)) if args.compare else None
        token = Path(args.control_token_file).read_text(encoding="utf-8").strip() if args.control_token_file else None
    except (ValueError, OSError) as error:
        print(f"tpcd certify-agent: {error}", file=sys.stderr)
        return 2
    request = certify.CertifyRequest(
        agent_url=args.agent_url.rstrip("/"),
        control_url=args.control_url,
        control_token=token,
        reader=args.reader,
        pin=args.pin,
        holder=args.holder,
        chromium=args.chromium or str(settings.chromium),
        only=chosen["only"],
        allow_not_run=chosen["allow_not_run"],
        portal_page=args.portal_page,
        agent_binary=Path(args.agent_binary).resolve() if args.agent_binary else None,
    )
    return certify.certify_agent(settings, request, report_dir, previous=previous)


def cmd_guide(settings: Settings, args: argparse.Namespace) -> int:
    """The living guide and the fault table from a run's Allure results (harness/living_guide.py)."""
    from harness.living_guide import GuideError, build_guide

    results = Path(args.results) if args.results else settings.allure_results
    out = Path(args.out) if args.out else settings.path(settings.reports_dir) / "guide"
    try:
        summary = build_guide(results, out)
    except GuideError as error:
        print(f"tpcd guide: {error}", file=sys.stderr)
        return 2
    for number, flags in summary["flags"].items():
        print(f"步驟 {number}：" + "；".join(flags))
    print(f"活的申請指南：{out / 'index.html'}（{summary['pages']} 頁，{len(summary['flags'])} 步與文件不同）")
    print(f"出錯時市民看到什麼：{out / 'faults.html'}、{out / 'faults.csv'}（{summary['faults']} 列）")
    return 0


def cmd_card(settings: Settings, args: argparse.Namespace) -> int:
    """Plug the virtual card into a remote vpcd reader; serve its OCSP/CRL and control surface until Ctrl-C/SIGTERM."""
    try:
        reader = RemoteReader.parse(args.vpcd)
        for option, port in (("--control-port", args.control_port), ("--ocsp-port", args.ocsp_port)):
            if not 0 <= port < 65536:
                raise ValueError(f"{option} {port} is not a port (0–65535; 0: any free one)")
    except ValueError as error:
        print(f"tpcd card: {error}", file=sys.stderr)
        return 2
    token, token_file = None, None
    if not is_loopback(args.listen):  # control beyond loopback: only with a token (docs/design.md#the-stack-token)
        token = secrets.token_urlsafe(32)
        token_file = Path(args.card_token_file or settings.path(settings.reports_dir) / "card-control.token").resolve()
        token_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(token_file, token)  # as `tpcd up` writes its own: 0600 even over an older file
    stopped = _stop_on_sigterm()
    seed = settings.seed if settings.seed is not None else 20180423
    citizen = make_citizen(seed)
    ports = {"control_port": args.control_port, "ocsp_port": args.ocsp_port}
    wanted = CardServerSettings(
        reader, listen=args.listen, advertise=args.advertise, token=token, ready_timeout=settings.ready_timeout, **ports
    )
    try:
        with CardServer(wanted) as service:
            service.insert(card_holder(citizen))
            demo = {"name": citizen.name, "id_number": citizen.id_number, "pin": citizen.pin, "seed": seed}
            if args.json:
                lines = {**service.urls, "token_file": str(token_file) if token_file else None, "citizen": demo}
                print(json.dumps(lines, ensure_ascii=False), flush=True)
            else:
                print(f"自然人憑證已插入遠端讀卡機 {reader.host}:{reader.port}（Ctrl-C 拔出並停止）")
                print(f"  control  {service.urls['control']}   (tpcd certify-agent --control-url)")
                print(f"  ocsp     {service.urls['ocsp']}/ocsp   crl {service.urls['ocsp']}/crl")
                if token_file:
                    print(f"  token    {token_file}   (tpcd certify-agent --control-token-file)")
                print(f"  卡片持有人 {citizen.name} {citizen.id_number} PIN {citizen.pin}", flush=True)
            stopped.wait()
    except (ConnectionError, TimeoutError, ValueError) as error:
        print(f"tpcd card: {error}", file=sys.stderr)
        return 1
    finally:
        if token_file:
            token_file.unlink(missing_ok=True)
    return 0


def cmd_mutate(settings: Settings, args: argparse.Namespace) -> int:
    """Mutation testing of the embedded twin (harness/mutate, docs/mutation.md); never of a deployed portal."""
    if settings.base_url is not None or settings.stack is not None:
        given = "base_url" if settings.base_url is not None else "stack"
        print(
            f"tpcd mutate: {given} is set (command line, TPCD_{given.upper()} or [tool.tpcd]): mutants are copies of "
            "the embedded twin, so unset it",
            file=sys.stderr,
        )
        return 2
    return mutate.main(settings.project_root, settings.path(settings.reports_dir), args)


def cmd_notebook(settings: Settings, args: argparse.Namespace) -> int:
    """JupyterLab on the project's kernel, offline (harness/notebook/lab.py); `--reopen` a failed scenario."""
    from harness.notebook.lab import main as lab  # JupyterLab's imports only for this command

    return lab(args.lab_args)


def _target_options(parser: argparse.ArgumentParser) -> None:
    """What to test: given before the command (`tpcd --base-url X run`) or after `run` (`tpcd run --base-url X`)."""
    parser.add_argument("--base-url", help="a deployed portal to test instead of the embedded twin")
    parser.add_argument("--stack", help="attach to a running stack: the JSON `tpcd up --json` printed (file or URL)")


def run_options() -> argparse.ArgumentParser:
    """The options `tpcd run` takes for itself before handing the rest to pytest."""
    run = argparse.ArgumentParser(prog="tpcd run", add_help=False, allow_abbrev=False)
    _target_options(run)
    return run


def _up_parser(commands: Any) -> None:
    up = commands.add_parser("up", help="start every service and hold them until Ctrl-C/SIGTERM")
    up.add_argument("--json", action="store_true", help="print one JSON line of URLs once everything is ready")
    up.add_argument("--portal-port", type=int, help="pin the portal twin's port (default: any free port)")
    up.add_argument("--listen", help="address the simulators bind (default 127.0.0.1; beyond it, a token guards them)")
    up.add_argument("--advertise", help="host in the URLs handed out (default: --listen)")
    up.add_argument(
        "--port", dest="ports", action="append", metavar="NAME=N", help=f"pin a port; NAME: {', '.join(SERVICE_PORTS)}"
    )
    up.add_argument(
        "--portal-config", choices=("dotenv", "json"), help="write a deployment's configuration (and start no twin)"
    )
    up.add_argument("--out", dest="stack_dir", help="where the token, stack.json and configuration go (.tpcd/stack)")
    up.add_argument("--keep", action="store_true", help="keep the portal configuration (secrets, 0600) after the stop")
    up.set_defaults(handler=cmd_up)


def _mutate_parser(commands: Any) -> None:
    options = commands.add_parser("mutate", help="mutation testing: the suite against broken copies of the twin")
    mutate.add_arguments(options)
    options.set_defaults(handler=cmd_mutate)


def parser() -> argparse.ArgumentParser:
    """The `tpcd` command line: one function per command that has options of its own."""
    top = argparse.ArgumentParser(prog="tpcd", description="臺北卡3.0 金質會員申請 test and simulation harness")
    _target_options(top)
    top.add_argument("--seed", type=int, help="base seed for citizens")
    commands = top.add_subparsers(dest="command", required=True)
    _up_parser(commands)
    run = commands.add_parser(
        "run",
        help="run the Gherkin suite and build the Allure report",
        usage="tpcd run [--base-url URL] [--stack STACK] [PYTEST ARGS …]",
    )
    run.set_defaults(handler=cmd_run)
    commands.add_parser("report", help="build the HTML report from reports/allure-results").set_defaults(
        handler=cmd_report
    )
    commands.add_parser("doctor", help="check this machine for what the harness needs").set_defaults(handler=cmd_doctor)
    certify_agent = commands.add_parser(
        "certify-agent",
        help="the agent conformance suite against an agent by URL (docs/certification.md)",
        description="Exit codes: 0 every requirement passed (or was allowed not to run), 1 a FAIL or ERROR, "
        "2 the command line or set-up refused, 3 incomplete (requirements NOT RUN), 128+N stopped by signal N.",
    )
    certify_agent.add_argument("--agent-url", required=True, help="e.g. http://127.0.0.1:61161")
    certify_agent.add_argument("--control-url", help="the card's control surface: a `tpcd card`, a tpcd agent desktop")
    certify_agent.add_argument("--control-token-file", help="the control surface's bearer token (a `tpcd card` file)")
    certify_agent.add_argument("--reader", help="the PC/SC reader (slotDescription) holding the card")
    certify_agent.add_argument("--pin", help="the PIN of a card not under control (the only PIN then sent)")
    certify_agent.add_argument("--holder", help="the 身分證字號 of that card's holder")
    certify_agent.add_argument("--report", default="reports/certify-agent", help="where the report and summary go")
    certify_agent.add_argument("--compare", metavar="PREVIOUS.json", help="list regressions and fixes since a verdict")
    certify_agent.add_argument("--only", metavar="AG-07,AG-20", help="run these requirements only (the rest: NOT RUN)")
    certify_agent.add_argument(
        "--allow-not-run", metavar="AG-23,…", help="requirements whose NOT RUN still makes a complete verdict (exit 0)"
    )
    certify_agent.add_argument(
        "--agent-binary", metavar="PATH", help="the build under test: its SHA-256 goes in the verdict"
    )
    certify_agent.add_argument(
        "--portal-page", metavar="URL", help="the deployed portal's agent script (agent.js) instead of the pinned copy"
    )
    certify_agent.add_argument(
        "--chromium", help="Chromium to drive (default: the chromium setting; playwright: its own)"
    )
    certify_agent.set_defaults(handler=cmd_certify_agent)
    card = commands.add_parser("card", help="the virtual card in a remote vpcd reader, with OCSP/CRL and controls")
    card.add_argument("--vpcd", required=True, help="HOST:PORT of vsmartcard's vpcd reader (default port 35963)")
    card.add_argument("--listen", default="127.0.0.1", help="address for the control surface and OCSP/CRL")
    card.add_argument("--advertise", help="the address others reach them on (default: --listen)")
    card.add_argument("--control-port", type=int, default=0, help="the control surface's port (default: any)")
    card.add_argument("--ocsp-port", type=int, default=0, help="the OCSP/CRL service's port (default: any)")
    card.add_argument(
        "--token-file", dest="card_token_file", help="where the control token goes when listening beyond loopback"
    )
    card.add_argument("--json", action="store_true", help="print one JSON line of URLs once the card is in")
    card.set_defaults(handler=cmd_card)
    notebook = commands.add_parser(
        "notebook",
        help="JupyterLab on the project's kernel",
        usage="tpcd notebook [PATH] [--reopen RESULT|NAME] [--port N]",
    )
    notebook.set_defaults(handler=cmd_notebook)
    _mutate_parser(commands)
    trace = commands.add_parser("trace", help="documented step → scenario matrix")
    trace.add_argument("--json", action="store_true")
    trace.add_argument("--results", help="allure-results to read statuses from (default reports/allure-results)")
    trace.set_defaults(handler=cmd_trace)
    guide = commands.add_parser("guide", help="the guide's 24 steps beside today's screens, and the fault table")
    guide.add_argument("--results", help="allure-results of a run (default reports/allure-results)")
    guide.add_argument("--out", help="where the pages go (default reports/guide)")
    guide.set_defaults(handler=cmd_guide)
    return top


PASSED_ON = ("run", "notebook")  # commands whose arguments after the command go on: to pytest, to JupyterLab


def command_index(top: argparse.ArgumentParser, argv: Sequence[str]) -> int | None:
    """Where the command is in `argv`: the first argument that is neither one of tpcd's own options nor an option's
    value (`tpcd --base-url X run`: 2); None when there is none."""
    valued = [name for action in top._actions if action.nargs != 0 for name in action.option_strings]
    index = 0
    while index < len(argv):
        argument = argv[index]
        if argument == "--":
            return index + 1 if index + 1 < len(argv) else None
        if not argument.startswith("-") or argument == "-":
            return index
        # `--base-url=X` is one argument; `--base-url X` (or an abbreviation argparse accepts, `--base X`) two
        named = [name for name in valued if name == argument or (name.startswith("--") and name.startswith(argument))]
        index += 2 if "=" not in argument and named else 1
    return None


def parse_command_line(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line: everything after `run` belongs to pytest, options included (`tpcd run -n 2 -k 金質`),
    except run's own; after `notebook`, to JupyterLab's launcher; only when that word is the command, never when it
    is an option's value (`tpcd certify-agent --report run`)."""
    top = parser()
    argv = list(argv)
    at = command_index(top, argv)
    split = at + 1 if at is not None and argv[at] in PASSED_ON else len(argv)
    args = top.parse_args(argv[:split])
    args.pytest_args = args.lab_args = argv[split:]
    if args.command == "run":
        own, args.pytest_args = run_options().parse_known_args(args.pytest_args)
        for name, value in vars(own).items():
            if value is not None:
                setattr(args, name, value)  # after `run` wins over before it
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tpcd` console script."""
    args = parse_command_line(sys.argv[1:] if argv is None else argv)
    args.settings = {name: value for name, value in vars(args).items() if name in SETTING_NAMES and value is not None}
    try:
        settings = load_settings(args.settings)
    except SettingsError as error:
        print(f"tpcd: {error}", file=sys.stderr)
        return 2
    code: int = args.handler(settings, args)
    return code


if __name__ == "__main__":
    sys.exit(main())
