"""What the stand-in widget (`widget.js`) posts to the simulator: our own calls, as Google's are not public."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tick:
    """`POST /recaptcha/api2/userverify`: the box was ticked on a page of `hostname`."""

    sitekey: str
    hostname: str


@dataclass(frozen=True, slots=True)
class ChallengeAnswer:
    """`POST /recaptcha/api2/answer`: the digits a person read off the image challenge."""

    challenge: str
    answer: str
    hostname: str
