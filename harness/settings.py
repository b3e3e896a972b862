"""One typed Settings object, read once: defaults < [tool.tpcd] in pyproject.toml < TPCD_* environment < CLI flags.

Each value is parsed by pydantic (a TypeAdapter per field, as portal/config.py does for PORTAL_*), from the field's
annotated type: integers, booleans ("true"/"off"/"1"), paths, durations in seconds (finite, ≥ 0 or > 0), lists
(comma-separated in the environment, arrays in TOML, repeated options), the port table and the base URL.

What is mistaken or dangerous is refused with one line naming the setting, where it came from and what to do, never
used in a guessed form: a TPCD_* variable that is no setting (a misspelt TPCD_BASE_URL would test the twin), an empty
value (an unset CI variable), a base URL the suite cannot use as given, a float where an integer belongs (1.5 is not
1), a negative or endless duration; and binding beyond loopback from anything but `tpcd up --listen`
(docs/design.md#contracts).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tempfile
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter, ValidationError

from simulators.standalone import is_loopback, valid_host

ENV_PREFIX = "TPCD_"
OTHER_VARIABLES: frozenset[str] = frozenset({"TPCD_PROFILE_DIR"})  # bench/profiler.py's output folder (#13)
"""TPCD_* variables that are not settings: each must be declared here, or it is refused as a misspelt setting. The
harness hands its children settings only (`tpcd run`: each CLI setting as TPCD_<NAME>)."""
RENAMED = {"host": "listen"}  # a setting's former name → its name now
OPTION = "option --"  # the start of a command-line source: the one source that may bind beyond loopback
CARD_TRANSPORTS = ("pcsc", "direct")
PORTAL_CONFIG_FORMATS = (None, "dotenv", "json")
A11Y_MODES = ("fail", "report", "off")  # axe-core at each new screen: fail on serious/critical, only report, or none
UNSPECIFIED = ("0.0.0.0", "::", "")  # every interface: no URL can be built from it
# Step 10 supports only Windows 7+ with IE or Chrome: the suite's browser presents itself as Chrome on Windows 10.
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names where it came from and what is expected."""


class _Refused(ValueError):
    """A value a field's validator refuses with its own words (pydantic carries it in the error's context)."""


def _not_bool(raw: Any) -> Any:
    """True is not 1 second (pydantic's lax mode would take it)."""
    if isinstance(raw, bool):
        raise ValueError("a boolean")
    return raw


def _whole(raw: Any) -> Any:
    """An integer, or its decimal text; never a float cut short (TOML's 1.0 or 1.5 is an error, not 1)."""
    if isinstance(raw, bool | float):
        raise ValueError("not a whole number")
    return raw.strip() if isinstance(raw, str) else raw


def _items(raw: Any) -> Any:
    """A list from the environment's `a,b` (TOML arrays and repeated options are lists already), items trimmed."""
    if isinstance(raw, str):
        raw = raw.split(",")
    return tuple(str(item).strip() for item in raw if str(item).strip()) if isinstance(raw, list | tuple) else raw


def _pairs(raw: Any) -> Any:
    """A table (TOML), `NAME=N,NAME=N` (environment) or ["NAME=N", …] (repeated --port) as service → port."""
    given = raw
    if isinstance(raw, str):
        raw = [part for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        pairs = [str(item).partition("=") for item in raw]
        if any(not equals for _, equals, _ in pairs):
            raise _Refused(f"ports={given!r} is not NAME=PORT pairs (e.g. sms=8001)")
        raw = {key.strip(): value.strip() for key, _, value in pairs}
    if not isinstance(raw, dict):
        raise _Refused(f"ports={raw!r} is not a table of service = port")
    return raw


def _hosts(hosts: tuple[str, ...]) -> tuple[str, ...]:
    bad = [host for host in hosts if not valid_host(host.strip("[]"))]
    if bad:
        raise _Refused(f"{bad[0]!r} is not a host name or an IP address")
    return hosts


def _url(url: str) -> str:
    _check_base_url(url)
    return url


Integer = Annotated[int, BeforeValidator(_whole)]
Port = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=65535)]
Seconds = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, allow_inf_nan=False)]  # a duration, 0 or more
Timeout = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, allow_inf_nan=False)]  # a duration, more than 0
Hosts = Annotated[tuple[str, ...], BeforeValidator(_items), AfterValidator(_hosts)]
Ports = Annotated[dict[str, Port], BeforeValidator(_pairs)]
BaseUrl = Annotated[str, AfterValidator(_url)]


@dataclass(frozen=True, slots=True)
class Pace:
    """The simulated waits of the citizen's computer and of the twin's pages, in seconds."""

    agent_loading_seconds: float  # the 安控元件 starting up after its installer: the tray shows Loading, then Ready
    agent_going_seconds: float  # after a page used the 安控元件, the tray shows Going this long
    tray_refresh_seconds: float  # how often the tray's window asks the 安控元件 for its state
    agent_timeout: float  # how long the twin's pages wait for the 安控元件 before saying it does not answer
    # How long the portal's real-name nonce stays good (the twin is given it; set it to a deployment's own): the
    # scenario that answers late waits this long.
    nonce_lifetime: float


# What a person at the screen sees (`tpcd up`, notebooks): a service's start-up as long as a real one's.
PERSON_PACE = Pace(
    agent_loading_seconds=1.5,
    agent_going_seconds=5.0,
    tray_refresh_seconds=0.2,
    agent_timeout=4.0,
    nonce_lifetime=300.0,
)
# The Gherkin suite's: each wait still long enough for the step that checks it to see it (tests/harness/test_pace.py
# runs those steps with these waits, and with none, which they must notice). Going outlasts the harness's own work
# after the F5 step that starts it (its screenshot and accessibility analysis: up to ~3 s on a busy machine, more when
# two runs share two cores); the agent's reset between scenarios ends it, so no scenario inherits another's Going.
SUITE_PACE = Pace(
    agent_loading_seconds=1.0,
    agent_going_seconds=15.0,
    tray_refresh_seconds=0.05,
    agent_timeout=2.5,
    nonce_lifetime=15.0,
)
PACE_FIELDS = tuple(f.name for f in fields(Pace))  # each is also a Settings field of the same name


@dataclass(frozen=True, slots=True)
class Settings:
    """Every URL, port, path and mode of a harness run."""

    project_root: Path = field(default_factory=Path.cwd)
    base_url: BaseUrl | None = None  # a deployed portal to test; None starts the embedded portal twin
    portal_profile: Path | None = None  # the portal profile (TOML, docs/deployment.md#portal-profile); None: the twin's
    stack: str | None = None  # attach to this running stack (the JSON `tpcd up --json` printed: a file or a URL)
    token: str | None = None  # the attached stack's bearer token (TPCD_TOKEN), else read from token_file
    token_file: Path | None = None  # where that token is; default: the file the stack's JSON names, if readable
    stack_hosts: Hosts = ()  # hosts the token may go to besides those docs/shared-stack.md says (`a,b`)
    # Closed networks only: `tpcd up` beyond loopback serves plain HTTP, not TLS with its own CA; an attached run
    # sends the token over plain HTTP beyond loopback and fetches a stack so (docs/shared-stack.md#tls-beyond-loopback).
    plain_http_stack: bool = False
    listen: str = "127.0.0.1"  # what the simulators' protocol surfaces bind; beyond loopback only for a deployment
    advertise: str | None = None  # the host in the URLs handed out (to the deployment); default: `listen`
    ports: Ports = field(default_factory=dict)  # service → pinned port ([tool.tpcd.ports], --port NAME=N)
    portal_port: Integer = 0  # 0 lets the OS choose; `tpcd up --portal-port 8000` pins it for a person
    portal_config: str | None = None  # `tpcd up` writes the deployment's configuration: "dotenv" or "json"
    stack_dir: Path = Path(".tpcd/stack")  # where `tpcd up` writes its token, JSON, portal config and test CA chain
    db_path: Path | None = None  # the portal twin's SQLite file; None puts it in the stack's temp dir
    chromium: Path = Path("/usr/bin/chromium")  # Debian's Chromium: `playwright install` cannot download here
    headless: bool = True
    locale: str = "zh-TW"
    user_agent: str = WINDOWS_CHROME
    timezone: str = "Asia/Taipei"
    seed: Integer | None = None  # the run's base seed for citizens; None draws one and prints it
    reports_dir: Path = Path("reports")
    ready_timeout: Timeout = 10.0  # seconds a service may take to signal readiness
    # Seconds a page assertion waits (Playwright's expect); None: 5 against the embedded twin, 15 against a deployment,
    # whose own waits may be longer (a real page gives the 安控元件 7–30 s,
    # docs/protocols/hipki-agent.md#the-popupform-bridge).
    expect_timeout: Timeout | None = None
    agent_port: Integer = 0  # the 安控元件's port; the real one listens on 61161 (the portal is told the URL)
    agent_public_port: Integer = (
        61161  # where a deployment's pages look for the agent (attached runs map it, see browser)
    )
    card_transport: str = "pcsc"  # "pcsc": the card in a real pcscd reader slot; "direct": in-process, no PC/SC
    card_vpcd: str | None = None  # HOST:PORT of a vpcd reader on another machine to plug the card into (`tpcd card`)
    # A PKCS#11 module the 安控元件 reaches the card through, as a vendor's build does (the card's PIV application:
    # OpenSC's opensc-pkcs11.so); None: the agent speaks the card's APDUs itself. Needs the card in a PC/SC reader.
    agent_pkcs11: str | None = None
    # Simulated waits (Pace); None: a person's pace (PERSON_PACE), or the suite's when the pytest plugin runs it.
    agent_loading_seconds: Seconds | None = None
    agent_going_seconds: Seconds | None = None
    tray_refresh_seconds: Seconds | None = None
    agent_timeout: Seconds | None = None
    nonce_lifetime: Seconds | None = None
    # Scenarios that start mid-journey (市民已完成會員註冊…) get there through the portal's public forms over HTTP, the
    # session then handed to the browser; false: through the browser, screen by screen (pages/flows.py, both ways).
    arrive_by_http: bool = True
    # What a stack left running for weeks keeps (docs/shared-stack.md): the newest messages of each inbox (Mailpit's
    # default), the largest mail SMTP takes (bigger: 552), and whether the SMS account's points refill when spent.
    inbox_limit: Integer = 500
    smtp_size_limit: Integer = 1_048_576
    sms_points_refill: bool = True
    # axe-core on every new screen (harness/plugin/accessibility.py): "fail" a step on a serious or critical violation,
    # "report" it only, or "off"; a deployment's known violations are accepted, each with a reason, in a baseline file.
    a11y: str = "fail"
    a11y_baseline: Path | None = None
    # Staging as it is (docs/deployment.md#staging, harness/staging.py): HTTP basic auth in front of the portal
    # ("user:password", or a file holding it: never in an artefact) and the CAs (PEM) its TLS certificate chains to.
    basic_auth: str | None = field(default=None, repr=False)
    basic_auth_file: Path | None = None
    ca_bundle: Path | None = None

    @property
    def embedded(self) -> bool:
        """True when the suite targets the portal twin this harness starts itself."""
        return self.base_url is None

    @property
    def is_attached_run(self) -> bool:
        """True when the simulators are a stack already running (shared, never reset as a whole)."""
        return self.stack is not None

    @property
    def advertised_host(self) -> str:
        """The host in every URL this harness hands out."""
        return self.advertise or self.listen

    @property
    def page_timeout(self) -> float:
        """Seconds a page assertion waits."""
        if self.expect_timeout is not None:
            return self.expect_timeout
        return 5.0 if self.embedded else 15.0

    def port_of(self, service: str) -> int:
        """The port pinned for `service` (its key in `tpcd up --json`), 0 for any free one."""
        if service == "portal":
            return self.ports.get("portal", self.portal_port)
        return self.ports.get(service, 0)

    def path(self, relative: Path) -> Path:
        """`relative` resolved against the project root (absolute paths stay as they are)."""
        return relative if relative.is_absolute() else self.project_root / relative

    @property
    def allure_results(self) -> Path:
        """Where both allure plugins write results."""
        return self.path(self.reports_dir) / "allure-results"

    @property
    def allure_report(self) -> Path:
        """Where the HTML report is built."""
        return self.path(self.reports_dir) / "allure-report"

    @property
    def pace(self) -> Pace:
        """The simulated waits in force: those set, a person's pace for the others."""
        chosen = {name: getattr(self, name) for name in PACE_FIELDS}
        return Pace(**{name: getattr(PERSON_PACE, name) if value is None else value for name, value in chosen.items()})

    def paced(self, pace: Pace) -> Settings:
        """These settings with `pace`'s waits where none was set (the suite's short ones, say)."""
        return self.replace(**{name: getattr(pace, name) for name in PACE_FIELDS if getattr(self, name) is None})

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied (the object itself stays frozen)."""
        return dataclasses.replace(self, **changes)


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` whose pyproject.toml has a [tool.tpcd] table."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "tpcd" in _read_pyproject(pyproject).get("tool", {}):
            return candidate
    return here


def _read_pyproject(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path} is not valid TOML: {error}") from error


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    """The pydantic parser of setting `name`, from its annotated type."""
    return TypeAdapter(get_type_hints(Settings, include_extras=True)[name])


def _kind(name: str) -> str:
    """What setting `name` holds, for a refusal: its type's name (of the first type in a union with None)."""
    hint = get_type_hints(Settings)[name]
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(option for option in get_args(hint) if option is not type(None))
    return str((get_origin(hint) or hint).__name__)


EXPECTED = {"bool": "true or false", "int": "an integer", "float": "a number", "Path": "a path", "str": "text"}
DURATION_LIMITS = {"greater_than", "greater_than_equal", "finite_number"}


def _coerce(name: str, raw: Any, source: str) -> Any:
    """`raw` (a TOML value, an environment string or a CLI value) as setting `name`'s type, parsed by pydantic (its
    lax mode: "25", "off", "1.5" …), or a SettingsError in one line naming the setting and `source`."""
    if isinstance(raw, str) and not raw.strip():
        raise SettingsError(f"{source}: {name} is empty: leave it out to use the default, or give a value")
    try:
        value = _adapter(name).validate_python(raw)
    except ValidationError as error:
        raise SettingsError(f"{source}: {_why_not(name, raw, error.errors()[0])}") from None
    return value.expanduser() if isinstance(value, Path) else value


def _why_not(name: str, raw: Any, error: Any) -> str:
    """The refusal of `raw` for setting `name`, from pydantic's first error."""
    refused = error.get("ctx", {}).get("error")
    if isinstance(refused, _Refused | SettingsError):
        return f"{name}={raw!r}: {refused}" if name == "stack_hosts" else str(refused)
    kind, where = _kind(name), error["loc"]
    if kind == "dict" and where:  # an item of the port table
        service, port = where[0], error["input"]
        if error["type"] in ("less_than_equal", "greater_than_equal"):
            return f"port of {service!r}={port} is not between 0 and 65535"
        return f"port of {service!r}={port!r} is not an integer"
    if kind == "float" and error["type"] in DURATION_LIMITS:
        annotated = str(get_type_hints(Settings, include_extras=True)[name])
        least = "more than 0" if "Gt(gt=0)" in annotated else "0 or more"  # Timeout, or Seconds
        return f"{name}={raw!r} must be a number of seconds {least}"
    return f"{name}={raw!r} is not {EXPECTED.get(kind, 'a list of host names')}"


def _hint(given: str, shown: dict[str, str]) -> str:
    """What a name that is no setting most likely meant: its new name, the closest one (difflib), or the list.
    `shown` maps each setting's name to how the source spells it (TPCD_BASE_URL for base_url)."""
    if given in RENAMED:
        return f"it was renamed {shown[RENAMED[given]]}"
    if close := difflib.get_close_matches(given, list(shown), n=1, cutoff=0.6):
        return f"did you mean {shown[close[0]]}?"
    return f"known: {', '.join(sorted(shown.values()))}"


def load_settings(
    cli: Mapping[str, Any] | None = None,
    *,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the layers once, in order: defaults, [tool.tpcd], TPCD_* variables, then CLI values that are not None."""
    project_root = root or find_project_root()
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings) if f.name != "project_root"}
    values: dict[str, Any] = {"project_root": project_root}

    pyproject = project_root / "pyproject.toml"
    sources: dict[str, str] = {}
    table = _read_pyproject(pyproject).get("tool", {}).get("tpcd", {}) if pyproject.is_file() else {}
    for key, raw in table.items():
        name = key.replace("-", "_")
        if name not in known:
            hint = _hint(name, {known_name: known_name for known_name in known})
            raise SettingsError(f"[tool.tpcd] in {pyproject}: unknown key {key!r}; {hint}")
        sources[name] = f"[tool.tpcd] in {pyproject}"
        values[name] = _coerce(name, raw, sources[name])

    variables = {ENV_PREFIX + name.upper(): name for name in known}
    for variable in sorted(environ):
        if variable.startswith(ENV_PREFIX) and variable not in variables and variable not in OTHER_VARIABLES:
            # Compared without the prefix all share (it would make every name look alike), and in any case.
            hint = _hint(variable.removeprefix(ENV_PREFIX).lower(), {name: var for var, name in variables.items()})
            raise SettingsError(f"environment variable {variable} is no setting of tpcd-harness: {hint} (unset it)")
    for variable, name in variables.items():
        if variable in environ:
            sources[name] = f"environment variable {variable}"
            values[name] = _coerce(name, environ[variable], sources[name])

    for name, raw in (cli or {}).items():
        if raw is None:
            continue
        if name not in known:
            raise SettingsError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
        sources[name] = OPTION + name.replace("_", "-")
        values[name] = _coerce(name, raw, sources[name])

    settings = Settings(**values)
    listen = sources.get("listen", OPTION)
    if not is_loopback(settings.listen) and not listen.startswith(OPTION):
        raise SettingsError(
            f"{listen}: listen={settings.listen!r} would bind the simulators beyond loopback; only "
            f"`tpcd up --listen {settings.listen}` does that (behind a token): remove it here"
        )
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    """What no single value shows: the combinations that cannot work."""
    if settings.card_transport not in CARD_TRANSPORTS:
        raise SettingsError(f"card_transport {settings.card_transport!r} must be one of {', '.join(CARD_TRANSPORTS)}")
    if settings.agent_pkcs11 is not None and settings.card_transport != "pcsc":
        raise SettingsError("agent_pkcs11 needs card_transport pcsc: a PKCS#11 module reads cards through PC/SC")
    if settings.agent_pkcs11 is not None and not Path(settings.agent_pkcs11).is_file():
        raise SettingsError(f"agent_pkcs11 {settings.agent_pkcs11!r} is no file (OpenSC's: opensc-pkcs11.so)")
    if settings.card_vpcd is not None and not re.fullmatch(r"[\w.\-\[\]:]+:\d{1,5}", settings.card_vpcd):
        raise SettingsError(f"card_vpcd {settings.card_vpcd!r} must be HOST:PORT of a vpcd reader (e.g. host:35963)")
    if settings.stack is not None and settings.base_url is None:
        raise SettingsError(
            f"stack {settings.stack!r} needs base_url (--base-url): the portal deployment configured with that stack"
        )
    if settings.a11y not in A11Y_MODES:
        raise SettingsError(f"a11y {settings.a11y!r} must be one of {', '.join(A11Y_MODES)} (TPCD_A11Y)")
    if settings.a11y_baseline is not None and not settings.path(settings.a11y_baseline).is_file():
        baseline = settings.path(settings.a11y_baseline)
        raise SettingsError(f"a11y_baseline {baseline} is no file: give the TOML file of accepted violations")
    if settings.portal_config not in PORTAL_CONFIG_FORMATS:
        formats = ", ".join(f for f in PORTAL_CONFIG_FORMATS if f)
        raise SettingsError(f"portal_config {settings.portal_config!r} must be one of {formats}")
    if settings.advertise is None and settings.listen in UNSPECIFIED:
        raise SettingsError(
            f"listen {settings.listen} binds every interface: give advertise (--advertise HOST), the name or address "
            "the deployment reaches this machine by"
        )
    if settings.inbox_limit < 1 or settings.smtp_size_limit < 1:
        raise SettingsError(
            f"inbox_limit {settings.inbox_limit} and smtp_size_limit {settings.smtp_size_limit} must be 1 or more"
        )
    for name in ("portal_port", "agent_port"):
        if not 0 <= getattr(settings, name) < 65536:
            raise SettingsError(f"{name} {getattr(settings, name)} is not a port (0–65535; 0: any free one)")
    if settings.advertise is not None and not valid_host(settings.advertise):
        raise SettingsError(f"advertise {settings.advertise!r} is not a host name or an IP address")
    for name in ("listen", "advertise"):
        if ":" in (getattr(settings, name) or ""):
            raise SettingsError(
                f"{name} {getattr(settings, name)!r} is an IPv6 address: give an IPv4 address or a host name (the "
                "URLs a stack hands out name hosts without brackets)"
            )
    if not 0 < settings.agent_public_port < 65536:
        raise SettingsError(f"agent_public_port {settings.agent_public_port} is not a port (1–65535)")
    if settings.db_path is not None:
        database = settings.path(settings.db_path)
        if database.is_dir():
            raise SettingsError(
                f"db_path {database} is a folder: give the twin's database file, e.g. {database / 'portal.sqlite3'}"
            )
        if not database.parent.is_dir():
            raise SettingsError(f"db_path {database}: its folder {database.parent} does not exist: create it first")


def _check_base_url(url: str) -> None:
    """The portal's origin, and the path it lives under if any (https://stage.example/tpcd/): http(s), a host, no
    query or fragment (the portal profile's paths are under it)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when it is not a number or out of range
    except ValueError as error:
        message = f"base_url {url!r} is not a URL ({error}): give the portal's origin, e.g. https://host"
        raise SettingsError(message) from None
    origin = f"{parts.scheme}://{parts.hostname}{f':{port}' if port else ''}"
    if parts.scheme not in ("http", "https"):
        example = f"not {parts.scheme}://" if parts.scheme else f"e.g. https://{url}"
        raise SettingsError(f"base_url {url!r} must start with http:// or https:// ({example})")
    if not parts.hostname:
        raise SettingsError(f"base_url {url!r} names no host: give the portal's origin, e.g. https://portal.example")
    if not valid_host(parts.hostname):
        raise SettingsError(f"base_url {url!r}: {parts.hostname!r} is not a host name or an IP address")
    if parts.username is not None or parts.password is not None:
        raise SettingsError(f"base_url {url!r} holds credentials, which would land in every report: give {origin}")
    if parts.query or parts.fragment:
        raise SettingsError(
            f"base_url {url!r} has more than an origin and a path: the portal's pages are under it; give "
            f"{origin}{parts.path}"
        )


def writable_folder(settings: Settings, name: str, *, new_mode: int = 0o777) -> Path:
    """The folder setting `name` (reports_dir, stack_dir), made if need be and proven writable before anything starts;
    a SettingsError naming the setting otherwise."""
    folder = settings.path(getattr(settings, name))
    try:
        folder.mkdir(mode=new_mode, parents=True, exist_ok=True)  # an existing folder keeps its mode
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise SettingsError(
            f"{name} {folder} cannot be written ({error.strerror or error}): give a writable folder "
            f"({ENV_PREFIX}{name.upper()} or [tool.tpcd] {name})"
        ) from None
    return folder
