"""The guide (docs/taipei-card-gold-member-steps.md) read as data: its 24 steps, their anchors and words, and the cues a
citizen relies on (a button's colour, a notice), so a check can cite the guide and hold on any portal that keeps them.
"""

from __future__ import annotations

import colorsys
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "taipei-card-gold-member-steps.md"
GUIDE_LINK = "docs/taipei-card-gold-member-steps.md"
_HEADING = re.compile(r"^### (\d+)\.\s*(.*?)\s*$", re.MULTILINE)
_ANCHOR = re.compile(r'\s*<a id="([^"]+)"></a>\s*$')
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")
_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")
_LABEL = re.compile(r"\[([^\]]+)\]")  # [申請臺北卡]: a control the guide names


class GuideCueMismatch(AssertionError):
    """The portal lacks a cue the guide tells the citizen to look for; the message cites the guide."""


@dataclass(frozen=True, slots=True)
class GuideStep:
    """One documented step: its number, heading and the words under it, where it is in the guide, its screenshot."""

    number: int
    title: str
    body: str
    anchor: str
    image: str | None

    @property
    def link(self) -> str:
        """The guide's address of this step, relative to the project."""
        return f"{GUIDE_LINK}#{self.anchor}"

    @property
    def words(self) -> str:
        """The heading as the citizen reads it (the guide's Markdown escapes removed)."""
        return self.title.replace("\\[", "[").replace("\\]", "]").replace("\\(", "(").replace("\\)", ")")

    @property
    def labels(self) -> list[str]:
        """The controls the guide names in brackets: [申請臺北卡], [下一步] …"""
        return [label for label in _LABEL.findall(self.words) if "://" not in label]

    @property
    def notices(self) -> list[str]:
        """The guide's ※ notices under this step (step 10: the Windows 7 notice)."""
        return [line.strip() for line in self.body.splitlines() if line.strip().startswith("※")]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading without one of its own: lower case, punctuation dropped, spaces → hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def guide_steps(path: Path = GUIDE) -> dict[int, GuideStep]:
    """Every numbered step of the guide."""
    text = path.read_text(encoding="utf-8")
    headings = list(_HEADING.finditer(text))
    steps: dict[int, GuideStep] = {}
    for index, heading in enumerate(headings):
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body = text[heading.end() : end]
        title = heading.group(2)
        anchor_match = _ANCHOR.search(title)
        title = _ANCHOR.sub("", title)
        anchor = anchor_match.group(1) if anchor_match else slug(heading.group(0).removeprefix("### "))
        image = _IMAGE.search(body)
        steps[int(heading.group(1))] = GuideStep(
            int(heading.group(1)), title, body.strip(), anchor, image.group(1) if image else None
        )
    return steps


@dataclass(frozen=True, slots=True)
class Colour:
    """A colour the guide names, as ranges any rendering of it falls in (hue in degrees, the rest 0–1)."""

    name: str
    hues: tuple[float, float] | None  # None: no hue to speak of (grey)
    saturation: tuple[float, float]
    lightness: tuple[float, float]

    def describe(self) -> str:
        """The ranges, for a failure message."""
        hue = f"hue {self.hues[0]:.0f}–{self.hues[1]:.0f}°, " if self.hues else ""
        saturation = f"saturation {self.saturation[0]:.0%}–{self.saturation[1]:.0%}"
        return f"{hue}{saturation}, lightness {self.lightness[0]:.0%}–{self.lightness[1]:.0%}"

    def holds(self, hue: float, saturation: float, lightness: float) -> bool:
        """Whether a colour of this hue (degrees), saturation and lightness (HSL, 0–1) is this one."""
        if self.hues is not None and not self.hues[0] <= hue <= self.hues[1]:
            return False
        low, high = self.saturation
        return low <= saturation <= high and self.lightness[0] <= lightness <= self.lightness[1]


def doc_anchors() -> dict[int, str]:
    """Documented step number → its anchor in the guide (docs/): its own, or GitHub's for steps 10–24."""
    if not GUIDE.exists():
        return {}
    return {number: step.anchor for number, step in guide_steps(GUIDE).items()}


# The guide's colours, wide enough for any shade a designer would still call so (a darker 橘 for contrast among them).
COLOURS = {
    colour.name: colour
    for colour in (
        Colour("桃紅色", (300.0, 350.0), (0.5, 1.0), (0.25, 0.7)),
        Colour("藍色", (190.0, 250.0), (0.35, 1.0), (0.2, 0.7)),
        Colour("灰色", None, (0.0, 0.12), (0.35, 0.85)),
        Colour("橘色", (18.0, 45.0), (0.6, 1.0), (0.3, 0.7)),
    )
}


def hsl(css: str) -> tuple[float, float, float]:
    """A computed CSS colour (`rgb(r, g, b)`, `rgba(…)`) as hue in degrees, saturation and lightness 0–1."""
    match = _RGB.fullmatch(css.strip())
    if match is None:
        raise ValueError(f"not an rgb() colour: {css!r}")
    red, green, blue = (float(part) / 255 for part in match.groups()[:3])
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    return hue * 360, saturation, lightness


def colour_cue(label: str, colour: str, guide: dict[int, GuideStep] | None = None) -> GuideStep:
    """The step where the guide calls the control `label` `colour` (「申請臺北卡」 桃紅色: step 1); a cue the guide does
    not state is refused, so a check can only ask for what the guide says."""
    if colour not in COLOURS:
        raise ValueError(f"the guide names no colour {colour!r}; known: {', '.join(COLOURS)}")
    for step in (guide or guide_steps()).values():
        if colour in step.words and label in step.words:
            return step
    raise ValueError(f"the guide ({GUIDE_LINK}) never calls 「{label}」 {colour}")


def check_colour(label: str, colour: str, css: str) -> None:
    """Raise GuideCueMismatch, citing the guide, when the computed colour `css` of 「label」 is not the guide's."""
    step = colour_cue(label, colour)
    wanted = COLOURS[colour]
    hue, saturation, lightness = hsl(css)
    if wanted.holds(hue, saturation, lightness):
        return
    seen = f"{css} (hue {hue:.0f}°, saturation {saturation:.0%}, lightness {lightness:.0%})"
    raise GuideCueMismatch(
        f"「{label}」 is {seen}, not the guide's {colour} ({wanted.describe()}): {step.link} "
        f"(step {step.number}: {step.words})"
    )


def notice(number: int) -> str:
    """The ※ notice the guide shows at step `number` (step 10: only Windows 7 or later, IE or Chrome)."""
    step = guide_steps()[number]
    if not step.notices:
        raise ValueError(f"the guide's step {number} ({step.link}) has no ※ notice")
    return step.notices[0]
