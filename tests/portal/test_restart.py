"""A twin restarted on a fresh database against a stack that stays up (docs/shared-stack.md): its next code still
arrives. A clientid made from the database's row id alone would be `tpcd-otp-1` again, which the gateway answers
with the first result (Mitake's Duplicate=Y) and delivers nothing, while the page says the code was sent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.citizens import make_citizen
from harness.portal_config import systems
from harness.stack import Stack
from simulators.sms import SmsClient
from tests.portal.applicant import Applicant
from tests.portal.twin import serve_portal


def test_each_restart_of_the_twin_on_a_fresh_database_still_gets_its_code_delivered(
    fresh: Stack, tmp_path: Path
) -> None:
    assert fresh.pki is not None
    configured = systems(fresh.urls, agent_url=fresh.urls["agent"], chain=fresh.pki.chain_pem())
    citizen = make_citizen(470)
    clientids = []
    with SmsClient(fresh.urls["sms"]) as sms:
        for restart in range(2):  # the same database row ids each time
            with serve_portal(tmp_path / f"restart-{restart}", **configured) as twin:
                applicant = Applicant(fresh, replace(citizen))
                applicant.url = twin.url
                newest = max((m.id for m in sms.messages(citizen.mobile)), default=0)
                applicant.consent()
                assert applicant.send_code().url.endswith("/register/contact")
                message = sms.wait_for_message(citizen.mobile, timeout=10, after=newest)
                assert message.otp is not None
                assert applicant.verify(message.otp).url.endswith("/register/profile")
                clientids.append(message.clientid)
    assert len(set(clientids)) == 2, clientids
