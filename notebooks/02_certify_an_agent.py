# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: tpcd-harness (.venv)
#     language: python
#     name: tpcd
# ---

# %% [markdown]
# # 2. Certifying a security agent (安控元件), requirement by requirement
#
# The portal signs with the citizen's card through an agent on the citizen's computer that speaks HiPKI's
# LocalSignServer API (PROTOCOLS.md §2). `tpcd certify-agent` checks any build against the numbered conformance
# requirements (`harness/certify/requirements.py`, AG-01 … AG-26). This notebook goes through some of them by hand,
# on the wire, against the agent simulator and the virtual card, and watches the card while it does: tries left,
# APDUs, the card pulled out. Then it runs the whole certification, as a vendor would against their own build.
#
# To certify your own agent: start it with `PCSCLITE_CSOCK_NAME` from the links below, so it sees the virtual reader,
# and use its URL instead of `agent` in the cells (README, "Certifying a security agent").

# %%
# %load_ext harness.notebook

# %%
# %tpcd up --seed 7

# %%
import base64
import json

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness.certify.requirements import REQUIREMENTS

agent = tpcd.require_stack().urls["agent"]  # the agent's protocol surface (the real one listens on :61161)


def call(path, package=None, method="POST"):
    """One HiPKI request as a web page sends it: the tbsPackage as a form field, every answer HTTP 200 + JSON."""
    data = {"tbsPackage": json.dumps(package)} if package is not None else None
    response = requests.request(method, agent + path, data=data, timeout=30)
    assert response.status_code == 200, response.status_code
    return response.json()


def sign(pin, tbs="臺北卡 conformance"):
    """MakeSignature, PKCS#1 over SHA-256, with the card number in the answer."""
    package = {"func": "MakeSignature", "signatureType": "PKCS1", "tbs": tbs, "tbsEncoding": "NONE"}
    return call("/sign", {**package, "hashAlgorithm": "SHA256", "withCardSN": "true", "pin": pin, "nonce": ""})


def code(value):
    """A code as the vendor tables write it: HiPKI sends signed 32-bit numbers."""
    return hex(value & 0xFFFFFFFF)


# %% [markdown]
# The agent and the citizen's card as they start: installed and Ready, the portal's site trusted, the card in the
# reader with 3 PIN tries.

# %%
tpcd.agent

# %%
tpcd.card

# %% [markdown]
# ## AG-01, AG-02: the agent is there, and lists the reader

# %%
print("AG-01", REQUIREMENTS["AG-01"])
version = requests.get(agent, timeout=10).text
assert "version:" in version
print("AG-02", REQUIREMENTS["AG-02"])
info = call("/pkcs11info")
assert info["ret_code"] == 0 and info["slots"], info
[(slot["slotDescription"], bool(slot.get("token"))) for slot in info["slots"]]

# %% [markdown]
# ## AG-04: a signature that verifies with the card's own certificate
#
# The PIN is the citizen's (`citizen.pin`; never shown: the agent's log and the card's transcript mask it).

# %%
print("AG-04", REQUIREMENTS["AG-04"])
signed = sign(citizen.pin)
assert signed["ret_code"] == 0, signed
certificate = x509.load_der_x509_certificate(base64.b64decode(signed["certb64"]))
certificate.public_key().verify(
    base64.b64decode(signed["signature"]), "臺北卡 conformance".encode(), padding.PKCS1v15(), hashes.SHA256()
)
certificate.subject.rfc4514_string(), signed["cardSN"]

# %% [markdown]
# The card answered a VERIFY and a signature (PSO) for it: the latest APDUs are at the bottom, the PIN's bytes masked.

# %%
tpcd.card

# %% [markdown]
# ## AG-07: wrong PINs count down, then the card locks
#
# Each wrong PIN answers `0x76100006` with the tries left in `last_error` (`0x80000002`, `0x80000001`), the third
# `0xA4`: locked, and the right PIN no longer helps.

# %%
print("AG-07", REQUIREMENTS["AG-07"])
answers = [sign("000000") for _ in range(3)] + [sign(citizen.pin)]
codes = [(code(a["ret_code"]), code(a["last_error"])) for a in answers]
assert codes == [("0x76100006", "0x80000002"), ("0x76100006", "0x80000001")] + [("0x76100006", "0xa4")] * 2
codes

# %%
assert tpcd.card.state()["pin_tries"] == 0
tpcd.card

# %% [markdown]
# ## AG-10: the card pulled out
#
# A new card goes in (the same citizen's, PIN tries full), then comes out of the reader: signing answers
# `0x76000006` and the reader lists no token.

# %%
print("AG-10", REQUIREMENTS["AG-10"])
tpcd.card.set_tries_left(3)
tpcd.card.remove()
no_card = sign(citizen.pin)
assert code(no_card["ret_code"]) == "0x76000006", no_card
assert not any(slot.get("token") for slot in call("/pkcs11info?withcert=true")["slots"])
tpcd.card

# %% [markdown]
# The agent logged every request, PINs masked: what a failed certification shows as evidence.

# %%
tpcd.agent

# %% [markdown]
# ## The whole certification
#
# `%tpcd certify` runs `tpcd certify-agent` against this notebook's agent, with the card under the harness's control
# (it inserts its own certification card and resets the PIN counter between requirements). The Allure report, the
# one-page summary and the verdict JSON are in `reports/notebook/certify-agent/`.

# %%
# %tpcd certify

# %%
outcomes = _
failed = [outcome for outcome in outcomes if outcome.status.lower() in ("failed", "broken", "fail", "error")]
assert not failed, failed
passed = [outcome.requirement for outcome in outcomes if outcome.status.lower() in ("passed", "pass")]
assert set(passed) == set(REQUIREMENTS), sorted(set(REQUIREMENTS) - set(passed))  # the simulator passes them all
len(passed)

# %%
# %tpcd down
