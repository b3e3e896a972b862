"""網路市民's authorization server and resource server as plain logic (no HTTP): standard OAuth 2.0 authorization code
grant (RFC 6749 §4.1), client authentication by client_secret_basic or client_secret_post (§2.3.1), PKCE (RFC 7636)
when the client uses it, bearer tokens on the profile (RFC 6750). `service.py` puts it on the wire."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from simulators.control import Simulator
from simulators.netizen.faults import NetizenFault
from simulators.netizen.models import NetizenAccount

SCOPES = frozenset({"profile"})  # our design: one scope, the whole profile (docs/protocols/netizen-oauth.md)
BEARER = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 §2.1 b64token
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1 (a challenge has the same alphabet)
REALM = "netizen"


@dataclass(frozen=True, slots=True)
class NetizenSettings:
    """The client the portal is registered as, and the lifetimes the server gives what it issues."""

    client_id: str = "tpcd-portal"
    client_secret: str = field(default="tpcd-netizen-secret", repr=False)
    # Exact redirect URIs registered for the client (RFC 6749 §3.1.2.2); the control surface adds more at runtime,
    # for a portal whose address is known only once it runs (POST /_control/redirect_uris).
    redirect_uris: tuple[str, ...] = ()
    code_ttl: float = 600.0  # RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED"
    token_ttl: float = 3600.0


class OAuthErrorCode(StrEnum):
    """Error codes of RFC 6749 §4.1.2.1 and §5.2, and RFC 6750 §3.1."""

    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
    INVALID_SCOPE = "invalid_scope"
    ACCESS_DENIED = "access_denied"
    INVALID_TOKEN = "invalid_token"


class OAuthError(Exception):
    """An error the protocol answers with its code and a description (in ASCII: it may travel in a header)."""

    def __init__(self, code: OAuthErrorCode, description: str) -> None:
        super().__init__(f"{code.value}: {description}")
        self.code, self.description = code, description


class RedirectRefused(Exception):
    """RFC 6749 §4.1.2.1: the client or its redirect URI is not trusted, so the user is told and nobody redirected."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked authorization request (RFC 6749 §4.1.1), and where its answer goes."""

    client_id: str
    redirect_uri: str
    redirect_uri_given: bool  # then the token request must repeat it (§4.1.3)
    state: str | None = None
    scope: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def answer(self, **params: str) -> str:
        """The redirect URI with `params` and `state` added to its own query, which is kept (RFC 6749 §3.1.2)."""
        if self.state is not None:
            params["state"] = self.state
        parts = urlsplit(self.redirect_uri)
        query = "&".join(part for part in (parts.query, urlencode(params)) if part)
        return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True, slots=True)
class Grant:
    """An authorization code's meaning: who consented to what, when."""

    request: AuthorizationRequest
    account: str
    issued: float


@dataclass(frozen=True, slots=True)
class AccessToken:
    account: str
    code: str  # the code it was issued for: reusing that code revokes it (RFC 6749 §4.1.2)
    expires: float
    scope: str | None


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """The token endpoint's form (RFC 6749 §4.1.3), parameters without a value counted as absent (§3.1)."""

    fields: dict[str, str]

    @classmethod
    def parse(cls, pairs: Sequence[tuple[str, str]]) -> TokenRequest:
        """The form, refused when a parameter comes twice (RFC 6749 §3.2: "MUST NOT be included more than once")."""
        repeated = sorted(name for name, count in Counter(name for name, _ in pairs).items() if count > 1)
        if repeated:
            raise OAuthError(OAuthErrorCode.INVALID_REQUEST, f"repeated parameter: {', '.join(repeated)}")
        return cls({name: value for name, value in pairs if value})

    def get(self, name: str) -> str | None:
        return self.fields.get(name)


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """The client id and secret of an HTTP Basic header, each form-urlencoded first (RFC 6749 §2.3.1); None for
    another scheme."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise OAuthError(OAuthErrorCode.INVALID_CLIENT, "malformed Basic credentials") from error
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(OAuthErrorCode.INVALID_CLIENT, "malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


class Netizen(Simulator[NetizenSettings]):
    """Accounts, pending authorization requests, consents, codes and tokens; the registered redirect URIs."""

    fault_enum = NetizenFault

    def __init__(self, settings: NetizenSettings) -> None:
        for uri in settings.redirect_uris:
            _check_redirect_uri(uri)
        self.redirect_uris: list[str] = list(settings.redirect_uris)  # registration outlives a reset
        super().__init__(settings)

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, NetizenAccount] = {}
            self.requests: dict[str, AuthorizationRequest] = {}  # the login form's hidden id → its request
            self.consents: dict[str, tuple[AuthorizationRequest, str]] = {}  # the consent form's ticket → (…, account)
            self.codes: dict[str, Grant] = {}
            self.spent: set[str] = set()
            self.tokens: dict[str, AccessToken] = {}
            self.logins = 0
            self.auth_methods: Counter[str] = Counter()

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "accounts": sorted(self.accounts),
                "logins": self.logins,
                "tokens": len(self.tokens),
                "redirect_uris": list(self.redirect_uris),
                "token_endpoint_auth_methods": dict(self.auth_methods),
            }

    def add_account(self, account: NetizenAccount) -> None:
        """Create (or replace) a legacy account."""
        with self.lock:
            self.accounts[account.account] = account

    def register_redirect_uri(self, uri: str) -> None:
        """Register one more exact redirect URI for the client (an absolute URI without a fragment, §3.1.2)."""
        _check_redirect_uri(uri)
        with self.lock:
            if uri not in self.redirect_uris:
                self.redirect_uris.append(uri)

    # --- authorization endpoint (RFC 6749 §4.1.1, §4.1.2) ---

    def authorize(self, pairs: Sequence[tuple[str, str]]) -> tuple[str, AuthorizationRequest]:
        """A checked request and the id its login form carries. RedirectRefused when the client or redirect URI is
        wrong; a RedirectedError for every other error, which goes back to the client."""
        counts = Counter(name for name, _ in pairs)
        params = {name: value for name, value in pairs if value}
        client_id = params.get("client_id")
        if counts["client_id"] > 1 or client_id != self.settings.client_id:
            raise RedirectRefused("申請授權的網站未向網路市民註冊，無法授權。")
        with self.lock:
            registered = list(self.redirect_uris)
        given = params.get("redirect_uri")
        if counts["redirect_uri"] > 1:
            raise RedirectRefused("授權請求的返回網址重複，無法授權。")
        if given is not None and given not in registered:  # exact string comparison (RFC 6749 §3.1.2.3)
            raise RedirectRefused("授權請求的返回網址未向網路市民註冊；為保護您的資料，已停止授權。")
        if given is None and len(registered) != 1:
            raise RedirectRefused("授權請求沒有指定返回網址，無法授權。")
        request = AuthorizationRequest(
            client_id,
            given or registered[0],
            given is not None,
            params.get("state"),
            params.get("scope"),
            params.get("code_challenge"),
            params.get("code_challenge_method"),
        )
        _check_request(request, counts, params.get("response_type"))
        request_id = secrets.token_urlsafe(16)
        with self.lock:
            self.requests[request_id] = request
        return request_id, request

    def pending(self, request_id: str) -> AuthorizationRequest | None:
        """The request a login form belongs to."""
        with self.lock:
            return self.requests.get(request_id)

    def log_in(self, request_id: str, account: str, password: str) -> str | None:
        """A consent ticket when the password is right (and no fault refuses it); None otherwise."""
        with self.lock:
            self.logins += 1
            known = self.accounts.get(account)
            request = self.requests.get(request_id)
        refused = self.faults.take(account, among={NetizenFault.WRONG_PASSWORD.value})
        if request is None or known is None or not secrets.compare_digest(known.password, password) or refused:
            return None
        ticket = secrets.token_urlsafe(16)
        with self.lock:
            self.requests.pop(request_id, None)
            self.consents[ticket] = (request, account)
        return ticket

    def decide(self, ticket: str, *, allow: bool) -> str | None:
        """Where the browser goes after the consent page: the redirect URI with a code, or with access_denied."""
        with self.lock:
            pending = self.consents.pop(ticket, None)
            if pending is None:
                return None
            request, account = pending
            if not allow:
                return request.answer(error=OAuthErrorCode.ACCESS_DENIED.value)
            code = secrets.token_urlsafe(24)
            self.codes[code] = Grant(request, account, time.monotonic())
        return request.answer(code=code)

    # --- token endpoint (RFC 6749 §2.3.1, §4.1.3, §5) ---

    def authenticate(self, authorization: str, form: TokenRequest) -> str:
        """The client id, once its secret is right, given by exactly one method."""
        basic = _basic_credentials(authorization) if authorization else None
        posted_id, posted_secret = form.get("client_id"), form.get("client_secret")
        if basic is not None and posted_secret is not None:  # RFC 6749 §2.3: "MUST NOT use more than one"
            raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "client credentials in both the header and the body")
        if basic is not None:
            client_id, secret = basic
            if posted_id is not None and posted_id != client_id:
                raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "client_id differs from the authenticated client")
            method = "client_secret_basic"
        elif posted_id is not None and posted_secret is not None:
            client_id, secret, method = posted_id, posted_secret, "client_secret_post"
        else:
            raise OAuthError(OAuthErrorCode.INVALID_CLIENT, "client authentication is required")
        known = client_id == self.settings.client_id
        if not (known and secrets.compare_digest(secret.encode(), self.settings.client_secret.encode())):
            raise OAuthError(OAuthErrorCode.INVALID_CLIENT, "unknown client or wrong secret")
        with self.lock:
            self.auth_methods[method] += 1
        return client_id

    def exchange(self, client_id: str, form: TokenRequest) -> dict[str, Any]:
        """The token response for an authorization code (RFC 6749 §5.1); the code is used up by the attempt."""
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "grant_type is missing")
        if grant_type != "authorization_code":
            raise OAuthError(OAuthErrorCode.UNSUPPORTED_GRANT_TYPE, f"grant_type {grant_type} is not supported")
        code = form.get("code")
        if code is None:
            raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "code is missing")
        with self.lock:
            grant = self.codes.pop(code, None)
            if grant is None:
                if code in self.spent:  # RFC 6749 §4.1.2: a code used twice revokes what it gave
                    self.tokens = {key: token for key, token in self.tokens.items() if token.code != code}
                raise OAuthError(OAuthErrorCode.INVALID_GRANT, "the authorization code is invalid or was used")
            self.spent.add(code)
        _check_grant(grant, client_id, form, self.settings.code_ttl)
        access = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[access] = AccessToken(
                grant.account, code, time.monotonic() + self.settings.token_ttl, grant.request.scope
            )
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.settings.token_ttl),
        }
        if grant.request.scope:
            answer["scope"] = grant.request.scope
        return answer

    # --- profile, the resource (RFC 6750) ---

    def profile(self, authorization: str, query_token: str | None) -> dict[str, Any] | None:
        """What the token's account shares; None when no bearer token came at all (RFC 6750 §3.1: no error code)."""
        header_token = None
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            header_token = credentials.strip()
            if not BEARER.fullmatch(header_token):
                raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "malformed bearer token")
        if header_token is not None and query_token is not None:  # RFC 6750 §2: one method only
            raise OAuthError(OAuthErrorCode.INVALID_REQUEST, "bearer token given in more than one way")
        token = header_token if header_token is not None else query_token
        if token is None:
            return None
        with self.lock:
            issued = self.tokens.get(token)
            account = self.accounts.get(issued.account) if issued else None
        if issued is None or account is None or time.monotonic() > issued.expires:
            raise OAuthError(OAuthErrorCode.INVALID_TOKEN, "the access token is unknown, revoked or expired")
        if account.id_number is None:
            return account.profile()
        hidden = self.faults.take(account.account, among={NetizenFault.NO_ID_NUMBER.value})
        return account.profile(with_id_number=hidden is None)


class RedirectedError(OAuthError):
    """An authorization error that goes back to the client at its redirect URI (RFC 6749 §4.1.2.1)."""

    def __init__(self, request: AuthorizationRequest, code: OAuthErrorCode, description: str) -> None:
        super().__init__(code, description)
        self.location = request.answer(error=code.value, error_description=description)


def _check_redirect_uri(uri: str) -> None:
    parts = urlsplit(uri)
    if not parts.scheme or not parts.netloc or "#" in uri:
        raise ValueError(f"a redirect URI is an absolute URI without a fragment (RFC 6749 §3.1.2), not {uri!r}")


def _check_request(request: AuthorizationRequest, counts: Counter[str], response_type: str | None) -> None:
    """The errors that go back to the client (RFC 6749 §4.1.2.1, RFC 7636 §4.4.1)."""
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        raise RedirectedError(request, OAuthErrorCode.INVALID_REQUEST, f"repeated parameter: {', '.join(repeated)}")
    if response_type is None:
        raise RedirectedError(request, OAuthErrorCode.INVALID_REQUEST, "response_type is missing")
    if response_type != "code":
        raise RedirectedError(request, OAuthErrorCode.UNSUPPORTED_RESPONSE_TYPE, "only response_type=code")
    if request.scope is not None and not set(request.scope.split()) <= SCOPES:
        raise RedirectedError(request, OAuthErrorCode.INVALID_SCOPE, f"known scopes: {' '.join(sorted(SCOPES))}")
    if request.code_challenge is None and request.code_challenge_method is not None:
        raise RedirectedError(request, OAuthErrorCode.INVALID_REQUEST, "code_challenge_method without code_challenge")
    if request.code_challenge is not None:
        if request.code_challenge_method not in (None, "plain", "S256"):
            raise RedirectedError(request, OAuthErrorCode.INVALID_REQUEST, "code_challenge_method: plain or S256")
        if not PKCE_VERIFIER.fullmatch(request.code_challenge):
            raise RedirectedError(request, OAuthErrorCode.INVALID_REQUEST, "malformed code_challenge")


def _check_grant(grant: Grant, client_id: str, form: TokenRequest, code_ttl: float) -> None:
    """RFC 6749 §4.1.3: the code was issued to this client, is fresh, and for this redirect URI; RFC 7636 §4.6."""
    request = grant.request
    if request.client_id != client_id:
        raise OAuthError(OAuthErrorCode.INVALID_GRANT, "the code was issued to another client")
    if time.monotonic() - grant.issued > code_ttl:
        raise OAuthError(OAuthErrorCode.INVALID_GRANT, "the authorization code has expired")
    redirect_uri = form.get("redirect_uri")
    if request.redirect_uri_given and redirect_uri is None:
        raise OAuthError(OAuthErrorCode.INVALID_GRANT, "redirect_uri is required: the authorization request had one")
    if redirect_uri is not None and redirect_uri != request.redirect_uri:
        raise OAuthError(OAuthErrorCode.INVALID_GRANT, "redirect_uri differs from the authorization request's")
    if request.code_challenge is None:
        return
    verifier = form.get("code_verifier")
    if verifier is None or not PKCE_VERIFIER.fullmatch(verifier):
        raise OAuthError(OAuthErrorCode.INVALID_GRANT, "code_verifier is missing or malformed")
    if request.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if not secrets.compare_digest(verifier, request.code_challenge):
        raise OAuthError(OAuthErrorCode.INVALID_GRANT, "code_verifier does not match the code_challenge")
