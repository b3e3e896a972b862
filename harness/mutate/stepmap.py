"""Which documented steps a rule of the twin belongs to, by module and function: a mutant there is first tried
against the scenarios tagged with those steps (`@doc-step-N`), and against the rest only if it survives them.

Written down here rather than guessed: a module's entry holds the steps of its functions unless a function (its
qualified name, or its class for every method) has an entry of its own. A module absent from SCOPE is not mutated.
"""

from __future__ import annotations

from collections.abc import Mapping

Steps = tuple[int, ...]

# module (relative to the project root) → {function or "" for the module's default: documented steps}
SCOPE: Mapping[str, Mapping[str, Steps]] = {
    "portal/routes/apply.py": {"": (1, 2, 3), "chose_tier": (2,), "terms": (3,), "consent": (3,)},
    "portal/routes/contact.py": {
        "": (4, 5, 6),
        "_send": (4, 5),
        "send_code": (4, 5),
        "_tell_registered": (4, 5),
        "_deliver": (4, 5),
        "_check": (6,),
        "verify_code": (6,),
        "code_hash": (6,),
        "accepted_hostnames": (6,),
    },
    "portal/contacts.py": {"": (4,)},
    "portal/routes/profile.py": {"": (7,), "password": (8,), "register": (8,)},
    "portal/basic_data.py": {"": (7,)},
    "portal/idnumber.py": {"": (7, 22)},
    "portal/passwords.py": {"": (8,), "check_password": (24,)},
    "portal/routes/member.py": {"": (9,), "home": (24,)},
    "portal/routes/gold.py": {
        "": (20, 22),
        "supported_platform": (10,),
        "gold": (10,),
        "download": (10,),
        "done": (23,),
        "app_qr": (23,),
    },
    "portal/realname.py": {"": (20, 22)},
    "portal/routes/login.py": {"": (24,)},
    "portal/session.py": {
        "": (24,),
        "current_application": (4, 7, 8),
        "begin_application": (3, 4),
        "end_application": (8,),
        "require_application": (4,),
        "require_verified_contact": (7,),
        "require_profile": (8,),
        "require_member_for_script": (22,),
    },
    "portal/security.py": {"": (3, 4, 6)},
    "portal/store.py": {
        "": (4, 6, 8),
        "Store.open_application": (3,),
        "Store.reserve_delivery": (4, 5),
        "Store.cancel_delivery": (4,),
        "Store.try_code": (6,),
        "Store.registered_ids_told": (7,),
        "Store.add_member": (8,),
        "Store.issue_nonce": (22,),
        "Store.take_nonce": (22,),
        "Store.verify_member": (22, 23),
        "Store.session": (24,),
        "Store.end_session": (24,),
        "Store.reserve_login": (24,),
        "Store.login_succeeded": (24,),
    },
    "portal/adapters/sms.py": {"": (4,)},
    "portal/adapters/mail.py": {"": (4,)},
    "portal/adapters/captcha.py": {"": (6,)},
    "portal/adapters/netizen.py": {"": (7,)},
    "portal/adapters/registry.py": {"": (24,)},
}
"""Left out on purpose: portal/__main__.py and portal/config.py (start-up and a deployment's configuration, tested by
tests/portal), portal/settings.py, portal/app.py, portal/clock.py, portal/rendering.py, portal/deps.py (wiring, no
rule) and portal/routes/twin.py (the twin's own clock control, which a deployment does not have)."""


def steps_of(module: str, function: str) -> Steps:
    """The documented steps of `function` in `module`: its own entry, its outer function's or class's, else the
    module's."""
    entries = SCOPE[module]
    name = function
    while name:
        if name in entries:
            return entries[name]
        name = name.rpartition(".")[0]
    return entries[""]


def marker_expression(steps: Steps) -> str:
    """The `-m` expression selecting the scenarios of `steps`."""
    return " or ".join(f"doc-step-{step}" for step in steps)
