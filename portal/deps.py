"""What routes reach for besides the session: the store, the settings, the clock, and the adapters to the external
systems, pointed where the settings say, as a real deployment configures them."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from portal.adapters.captcha import SiteVerify
from portal.adapters.mail import SmtpSender
from portal.adapters.netizen import NetizenOAuth
from portal.adapters.registry import CardServicesRegistry
from portal.adapters.sms import MitakeSender
from portal.clock import Clock
from portal.settings import PortalSettings
from portal.store import Store


@dataclass(frozen=True, slots=True)
class Outbound:
    """One adapter per external system the portal calls; each opens a fresh connection per call, so they are cheap."""

    sms: MitakeSender  # Mitake SmSend, docs/protocols/sms-mitake.md
    mail: SmtpSender  # the verification e-mail, docs/protocols/mail-smtp-mailpit.md#the-verification-e-mail
    siteverify: SiteVerify  # reCAPTCHA, docs/protocols/recaptcha.md#siteverify
    netizen: NetizenOAuth  # 網路市民, docs/protocols/netizen-oauth.md
    registry: CardServicesRegistry  # card services, docs/protocols/registry.md

    @classmethod
    def configured_by(cls, settings: PortalSettings) -> Outbound:
        """Every adapter pointed where `settings` says, each waiting at most `outbound_timeout`."""
        timeout = settings.outbound_timeout
        return cls(
            sms=MitakeSender(settings.sms_gateway_url, settings.sms_username, settings.sms_password, timeout=timeout),
            mail=SmtpSender(settings.smtp_host, settings.smtp_port, settings.mail_from, timeout=timeout),
            siteverify=SiteVerify(settings.captcha_verify_url, settings.captcha_secret, timeout=timeout),
            netizen=NetizenOAuth(
                settings.netizen_url, settings.netizen_client_id, settings.netizen_client_secret, timeout=timeout
            ),
            registry=CardServicesRegistry(settings.registry_url, timeout=timeout),
        )


def store(request: Request) -> Store:
    found: Store = request.app.state.store
    return found


def settings(request: Request) -> PortalSettings:
    found: PortalSettings = request.app.state.settings
    return found


def clock(request: Request) -> Clock:
    found: Clock = request.app.state.clock
    return found


def outbound(request: Request) -> Outbound:
    return Outbound.configured_by(settings(request))
