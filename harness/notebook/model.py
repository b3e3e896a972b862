"""What a %%gherkin cell produced: scenarios, their steps with status, duration, error and evidence.

The run happens on the browser thread and reports events; the kernel's thread folds them into a `GherkinRun`, the
object the cell returns, so a notebook can assert on it (`assert _.passed`, `_.steps[3].status`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from domain.masking import mask, mask_values
from simulators.inbox import find_otp

StepStatus = Literal["pending", "running", "passed", "failed", "not run"]
ScenarioStatus = Literal["running", "passed", "failed", "skipped"]
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
MIME_ALIASES = {"image/jpg": "image/jpeg"}  # Allure's JPG attachment type says image/jpg


def scrub(text: str, secrets: Sequence[str] = (), *, codes: bool = True) -> str:
    """`text` with the citizen's secrets masked, and with `codes` any six-digit number (a one-time code, as in a
    message or a `fill` in Playwright's call log): what a notebook output may show. JSON evidence (the citizen, APDUs,
    agent requests) is masked by the harness already and keeps its numbers (`codes=False`)."""
    text = mask_values(text, secrets)
    while codes and (code := find_otp(text)) is not None:
        text = text.replace(code, mask(code))
    return text


@dataclass(frozen=True, slots=True)
class Evidence:
    """One attachment a step (or its scenario) produced, as the report gets it: a screenshot, a message, APDUs."""

    name: str
    mime: str
    body: bytes = b""
    path: str = ""  # an attached file (a trace, a video) is named, not copied into the notebook

    def __post_init__(self) -> None:
        object.__setattr__(self, "mime", MIME_ALIASES.get(self.mime, self.mime))  # frozen: finish the field

    @property
    def is_image(self) -> bool:
        """A screenshot."""
        return self.mime in IMAGE_TYPES

    @property
    def text(self) -> str:
        """The body as text (for messages, JSON and HTML)."""
        return self.body.decode("utf-8", errors="replace")

    def data_uri(self) -> str:
        """The body inline, for an <img> in the notebook."""
        return f"data:{self.mime};base64,{base64.b64encode(self.body).decode()}"


@dataclass(slots=True)
class StepResult:
    """One Gherkin step of a scenario as it ran (or did not)."""

    keyword: str
    name: str
    status: StepStatus = "pending"
    duration: float | None = None  # seconds, the step function alone
    error: str | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The step as written in the feature: keyword and text."""
        return f"{self.keyword} {self.name}"

    @property
    def screenshot(self) -> Evidence | None:
        """The page after the step (or at its failure): the last image it attached."""
        images = [item for item in self.evidence if item.is_image]
        return images[-1] if images else None


@dataclass(slots=True)
class ScenarioResult:
    """One scenario of the cell (an outline gives one per example row)."""

    name: str
    tags: tuple[str, ...]
    steps: list[StepResult]
    citizen_seed: int | None = None
    status: ScenarioStatus = "running"
    problem: str | None = None  # what failed outside any step: a fixture, the set-up, the teardown
    evidence: list[Evidence] = field(default_factory=list)  # attached before the first step (the citizen)

    @property
    def passed(self) -> bool:
        """Every step ran and passed."""
        return self.status == "passed"

    @property
    def failed_step(self) -> StepResult | None:
        """The step that failed, if one did."""
        return next((step for step in self.steps if step.status == "failed"), None)


@dataclass(slots=True)
class GherkinRun:
    """Everything a %%gherkin cell ran."""

    feature: str  # the .feature file written for the cell
    scenarios: list[ScenarioResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # collection errors (a Gherkin syntax error, no step module)
    exit_code: int | None = None
    interrupted: bool = False

    @property
    def passed(self) -> bool:
        """At least one scenario ran and every one passed, with no problem outside them."""
        return bool(self.scenarios) and all(s.passed for s in self.scenarios) and not self.problems

    @property
    def steps(self) -> list[StepResult]:
        """Every step of every scenario, in order."""
        return [step for scenario in self.scenarios for step in scenario.steps]

    @property
    def failed_step(self) -> StepResult | None:
        """The first step that failed."""
        return next((step for step in self.steps if step.status == "failed"), None)

    def __getitem__(self, index: int) -> ScenarioResult:
        return self.scenarios[index]

    def __len__(self) -> int:
        return len(self.scenarios)


# Events the browser thread sends to the kernel's thread while a cell runs.


@dataclass(frozen=True, slots=True)
class ScenarioStarted:
    """A scenario begins; all its steps are known now (shown as pending)."""

    scenario: int
    name: str
    tags: tuple[str, ...]
    steps: tuple[tuple[str, str], ...]  # (keyword, text)
    citizen_seed: int | None


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A step's function is about to run."""

    scenario: int
    step: int


@dataclass(frozen=True, slots=True)
class Attached:
    """The report received an attachment: it belongs to the running step (or to the scenario before any step)."""

    scenario: int
    step: int | None
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class StepEnded:
    """A step passed or failed (its attachments have all arrived)."""

    scenario: int
    step: int
    status: StepStatus
    duration: float | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ScenarioEnded:
    """A scenario's test finished, teardown included."""

    scenario: int
    status: ScenarioStatus
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Something failed outside the scenarios: the feature did not parse, a step module did not import."""

    text: str


Event = ScenarioStarted | StepStarted | Attached | StepEnded | ScenarioEnded | Problem


def fold(run: GherkinRun, event: Event) -> tuple[int, int | None] | None:
    """Apply `event` to `run`; return the (scenario, step) whose view changed (step None: the scenario's header)."""
    if isinstance(event, Problem):
        run.problems.append(event.text)
        return None
    if isinstance(event, ScenarioStarted):
        steps = [StepResult(keyword, text) for keyword, text in event.steps]
        run.scenarios.append(ScenarioResult(event.name, event.tags, steps, event.citizen_seed))
        return event.scenario, None
    scenario = run.scenarios[event.scenario]
    if isinstance(event, StepStarted):
        scenario.steps[event.step].status = "running"
        return event.scenario, event.step
    if isinstance(event, Attached):
        target = scenario.evidence if event.step is None else scenario.steps[event.step].evidence
        target.append(event.evidence)
        return event.scenario, event.step
    if isinstance(event, StepEnded):
        step = scenario.steps[event.step]
        step.status, step.duration, step.error = event.status, event.duration, event.error
        return event.scenario, event.step
    scenario.status, scenario.problem = event.status, event.problem
    for step in scenario.steps:
        if step.status in ("pending", "running"):
            step.status = "not run"
    return event.scenario, None
