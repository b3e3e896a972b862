"""A MakeSignature through the agent simulator's HTTP API, down to the card over real PC/SC: p50 / p95.

Run: `.venv/bin/python -m bench.agent_sign [N]`. Target p50 ≤ 100 ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import requests

from domain.card import card_holder
from harness.citizens import make_citizen
from harness.settings import load_settings
from harness.stack import Stack


def main(signatures: int = 100) -> None:
    """Print p50/p95 of POST /sign (PKCS1 and PKCS7) with the card in a pcscd reader."""
    citizen = make_citizen(1)
    with Stack(load_settings(root=Path.cwd())) as stack, requests.Session() as http:
        assert stack.card is not None
        stack.card.insert(card_holder(citizen))
        for kind in ("PKCS1", "PKCS7"):
            package = json.dumps(
                {
                    "func": "MakeSignature",
                    "signatureType": kind,
                    "tbs": "nonce",
                    "pin": citizen.pin,
                    "hashAlgorithm": "SHA256",
                    "withCardSN": "true",
                }
            )
            timings = []
            for _ in range(signatures):
                began = time.perf_counter()
                body = http.post(stack.urls["agent"] + "/sign", data={"tbsPackage": package}, timeout=10).json()
                timings.append(time.perf_counter() - began)
                assert body["ret_code"] == 0, body
            p95 = statistics.quantiles(timings, n=20)[18]
            print(
                f"agent /sign {kind} over PC/SC, {signatures} runs: p50 {statistics.median(timings) * 1000:.1f} ms, "
                f"p95 {p95 * 1000:.1f} ms (target p50 ≤ 100 ms)"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
