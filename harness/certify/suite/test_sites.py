"""Who may use the agent: trusted sites, preflights, DNS rebinding, Origin null, framing, and the PIN tries they cost.

The agent listens on the citizen's own computer, so any page the citizen opens can call it: these requirements are
what stands between such a page and the card (issue #14).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
import requests
from playwright.sync_api import Page

from harness.certify.suite.kit import (
    SITE_DOMAIN,
    UNTRUSTED,
    WRONG_PIN,
    Agent,
    Card,
    carries,
    codes,
    unsigned,
)


def signs(response: requests.Response) -> bool:
    """Whether an answer hands out a signature or a certificate (whatever its HTTP status): a JSON object with a
    non-empty one. A refusal that carries the fields empty (`"signature": ""`, as strict client parsers like) hands
    out nothing."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and (carries(body, "signature") or carries(body, "certb64"))


@pytest.mark.requirement("AG-12")
def test_untrusted_origin_and_native_client(agent: Agent, fresh_site: str, note: Any) -> None:
    untrusted = agent.json("/sign", agent.package(), origin=fresh_site)
    assert unsigned(untrusted["ret_code"]) == UNTRUSTED, untrusted
    assert not carries(untrusted, "signature"), "an untrusted site was handed a signature"
    if agent.pin is not None:
        assert codes(agent.sign())[0] == 0, "a native client (no Origin) was not served"
    else:
        assert unsigned(agent.json("/pkcs11info")["ret_code"]) == 0, "a native client (no Origin) was not served"
    note(f"{fresh_site} → 0x76000031; no Origin → served")


@pytest.mark.requirement("AG-13")
def test_no_preflight_for_untrusted_origins(agent: Agent, fresh_site: str, note: Any) -> None:
    response = agent.http.options(
        agent.url + "/sign",
        timeout=30,
        headers={
            "Origin": fresh_site,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    granted = {h.lower() for h in response.headers} & {
        "access-control-allow-origin",
        "access-control-allow-private-network",
    }
    assert not granted, f"granted to an untrusted origin: {sorted(granted)}"
    note(f"OPTIONS /sign from {fresh_site}: HTTP {response.status_code}, no grant")


@pytest.mark.requirement("AG-17")
def test_dns_rebinding_is_refused(agent: Agent, note: Any) -> None:
    port = urlparse(agent.url).port or 80
    name = f"rebind-{secrets.token_hex(4)}.{SITE_DOMAIN}"
    rebound = f"{name}:{port}"  # a name of the attacker's that now resolves to 127.0.0.1
    origin = f"http://{rebound}"
    signed = agent.call("/sign", agent.package(), origin=origin, host=rebound)
    assert not signs(signed), "a DNS-rebinding page got a signature or a certificate"
    agent.may_trust(origin)
    agent.call("/addDomain", origin=origin, host=rebound, form={"domain": name, "decision": "yes"})
    assert not agent.trusts(origin), "a DNS-rebinding page put its own site on the trusted list"
    note(f"Host {rebound}: /sign HTTP {signed.status_code} without signature; /addDomain did not trust it")


@pytest.mark.requirement("AG-18")
def test_null_origin_is_untrusted(agent: Agent, note: Any) -> None:
    answer = agent.json("/sign", agent.package(), origin="null")
    assert unsigned(answer["ret_code"]) == UNTRUSTED, f"Origin: null was served: {answer}"
    assert not carries(answer, "signature"), "Origin: null was handed a signature"
    note("Origin: null → 0x76000031, no signature")


@pytest.mark.requirement("AG-19")
def test_add_domain_page_is_not_frameable(agent: Agent, page: Page, fresh_site: str, note: Any) -> None:
    domain = urlparse(fresh_site).hostname or ""
    source = f"{agent.url}/addDomain?domain={domain}"
    headers = agent.call("/addDomain?domain=" + domain, method="GET").headers
    shown = {k: v for k, v in headers.items() if k.lower() in ("content-security-policy", "x-frame-options")}
    page.goto(f"{fresh_site}/framing?{urlencode({'src': source})}")
    page.wait_for_function("document.title === 'loaded'", timeout=15_000)
    framed = page.frame_locator("iframe").get_by_role("button", name="是")
    assert framed.count() == 0, "the confirmation page (with its [是]) is shown inside another site's frame"
    note(f"{source} not shown in a frame of {fresh_site}; headers {shown}")


@pytest.mark.requirement("AG-20")
def test_refused_requests_cost_no_pin_try(agent: Agent, card: Card, fresh_site: str, note: Any) -> None:
    with agent.wrong_pins(card, 3):
        agent.json("/sign", agent.package(pin=WRONG_PIN), origin=fresh_site)
        agent.sign(pin=WRONG_PIN, tbs="")
        agent.sign(pin=WRONG_PIN, tbs="not base64 !!", tbsEncoding="base64")
    assert card.state().pin_tries == 3, "an untrusted site, a missing tbs or a bad base64 tbs spent a PIN try"
    with agent.wrong_pins(card, 2):
        agent.sign(pin=WRONG_PIN, hashAlgorithm="NOPE")
        agent.sign(pin=WRONG_PIN, signatureType="NOPE")
    assert card.state().pin_tries == 3, "an unsupported algorithm or signature type spent a PIN try"
    with agent.wrong_pins(card, 1):
        agent.sign(pin=WRONG_PIN)
    assert card.state().pin_tries == 2, "one wrong PIN did not cost exactly one try"
    note("five refused requests with a wrong PIN: counter 3; one wrong PIN: counter 2")
