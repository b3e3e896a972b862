"""Signing with the virtual card over real PC/SC (pcscd + vpcd): VERIFY + PSO CDS latency, and insert-to-ready.

Run: `.venv/bin/python -m bench.card_sign [N]` (needs root for the private pcscd). Target p50 ≤ 50 ms.
"""

from __future__ import annotations

import hashlib
import statistics
import sys
import time

from smartcard.System import readers

from domain.card import CardHolder
from simulators.card import CardSlot, KeyPool, TestPki
from simulators.card.card_os import SHA256_DIGEST_INFO
from simulators.card.pcscd import acquire_host, release_host

HOLDER = CardHolder("效能測試", "A123456789", "TPCD000000000001", "123456", "12345678", seed=1)


def main(signatures: int = 200) -> None:
    """Print p50/p95 of VERIFY + sign over PC/SC, and insert-to-ready times."""
    pool = KeyPool()
    host = acquire_host()
    slot = CardSlot(host, TestPki(pool))
    try:
        inserts = []
        for _ in range(5):
            began = time.perf_counter()
            slot.insert(HOLDER)
            inserts.append(time.perf_counter() - began)
            slot.remove()
        slot.insert(HOLDER)
        (reader,) = [r for r in readers() if str(r) == slot.reader]
        connection = reader.createConnection()
        connection.connect()
        digest_info = list(SHA256_DIGEST_INFO + hashlib.sha256(b"nonce").digest())
        timings = []
        for _ in range(signatures):
            began = time.perf_counter()
            connection.transmit([0x00, 0x20, 0x00, 0x81, 0x06, *b"123456"])
            _, sw1, _ = connection.transmit([0x00, 0x2A, 0x9E, 0x9A, 0x33, *digest_info, 0x00])
            timings.append(time.perf_counter() - began)
            assert sw1 == 0x90
        connection.disconnect()
        connection.release()
        cut = statistics.quantiles(timings, n=20)
        print(
            f"card over PC/SC: VERIFY + sign, {signatures} runs: p50 {statistics.median(timings) * 1000:.2f} ms, "
            f"p95 {cut[18] * 1000:.2f} ms (target p50 ≤ 50 ms)"
        )
        print(
            f"card insert → pcscd reports it present: median {statistics.median(inserts) * 1000:.0f} ms "
            f"(vpcd polls about every 400 ms)"
        )
    finally:
        slot.close()
        release_host()
        pool.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
