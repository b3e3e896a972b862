"""Twins equivalent to the portal twin, built differently: the suite must pass each, as it follows the guide and
not the twin's build (docs/contributing.md#equivalent-portals).

Each variant is the twin's own app, built here at run time and never by editing a tracked file, behind `Rewritten`:
a request to one of the variant's addresses reaches the twin's page (and an address of the twin's own answers 404);
what the twin's pages and redirects spell out is renamed on the way out (Location headers, and the addresses in its
HTML, scripts and JSON), and page chrome may be added around the content. A variant address that ends with the
twin's path is served as the twin mounted there (ASGI root_path), so the 網路市民 callback the twin computes from its
request is the variant's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal import PortalSettings, create_app

PROFILES = Path(__file__).parent / "profiles"
HARNESS_ONLY = ("/_twin", "/healthz")  # the harness's controls of the twin: not the portal's pages, never renamed
TEXT_TYPES = ("text/html", "javascript", "application/json")
QUOTED_PATH = re.compile(r"""(?P<quote>["'])(?P<path>/[^"'?#\s]*)""")  # an absolute path in quotes: href="/apply"
Rename = Callable[[str], str]  # the twin's path → the variant's
Decorate = Callable[[str, Rename], str]  # a page's HTML (addresses already renamed) → with the variant's chrome


def _keep(path: str) -> str:
    return path


def _plain(html: str, rename: Rename) -> str:
    return html


class Rewritten:
    """The twin served at the variant's addresses: requests mapped onto the twin's paths, and its responses'
    Location headers and the addresses quoted in its HTML, scripts and JSON renamed, its pages decorated."""

    def __init__(self, app: ASGIApp, rename: Rename, decorate: Decorate) -> None:
        self.app, self.rename, self.decorate = app, rename, decorate
        self.pages = {rename(path): path for path in TWIN_PAGES}  # the variant's address → the twin's path
        self.static = rename("/static/")

    def twin_path(self, path: str) -> str:
        """The twin's path for the variant's address `path`; an address of the variant's that is none of its pages
        goes to a path the twin does not serve (its own 404 page)."""
        if path.startswith(HARNESS_ONLY):
            return path
        if path.startswith(self.static):
            return "/static/" + path.removeprefix(self.static)
        return self.pages.get(path, "/_not_a_page_of_this_portal")

    def _text(self, text: str, html: bool) -> str:
        renamed = QUOTED_PATH.sub(lambda m: m["quote"] + self.rename(m["path"]), text)
        return self.decorate(renamed, self.rename) if html else renamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked: str = scope["path"]
        twin = self.twin_path(asked)
        mounted = asked.removesuffix(twin) if asked.endswith(twin) and twin != asked else ""
        path = mounted + twin
        scope = {**scope, "path": path, "raw_path": path.encode(), "root_path": scope.get("root_path", "") + mounted}
        start: Message = {}
        body: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [
                    (k, self.rename(v.decode("latin-1")).encode("latin-1") if k == b"location" and v[:1] == b"/" else v)
                    for k, v in message.get("headers", [])
                ]
                start = {**message, "headers": headers}
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = start["headers"]
            kind = next((v.decode("latin-1") for k, v in headers if k == b"content-type"), "")
            payload = b"".join(body)
            if any(t in kind for t in TEXT_TYPES):
                payload = self._text(payload.decode("utf-8"), "text/html" in kind).encode("utf-8")
                headers = [(k, v) for k, v in headers if k != b"content-length"]
                headers.append((b"content-length", str(len(payload)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": payload, "more_body": False})

        await self.app(scope, receive, rewrite)


@dataclass(frozen=True)
class Variant:
    """A twin equivalent to the twin: how its paths are renamed, what chrome its pages get, and its portal
    profile (tests/portals/profiles/<name>.toml)."""

    name: str
    about: str
    rename: Rename = _keep
    decorate: Decorate = _plain

    @property
    def profile(self) -> Path:
        return PROFILES / f"{self.name}.toml"

    def build(self, settings: PortalSettings) -> FastAPI:
        """The twin built from `settings`, then renamed and decorated as this variant is."""
        app = create_app(settings)
        app.add_middleware(Rewritten, rename=self.rename, decorate=self.decorate)
        return app


# Renamed: every page of the twin under another address, home included; the harness's controls stay.
RENAMED_PATHS = {
    "/": "/zh-tw/index",
    "/apply": "/zh-tw/member-type",
    "/register": "/zh-tw/terms",
    "/register/contact": "/zh-tw/verification",
    "/register/contact/send": "/zh-tw/verification/code",
    "/register/contact/verify": "/zh-tw/verification/check",
    "/register/profile": "/zh-tw/personal-data",
    "/register/netizen": "/sso/register/netizen",  # under /sso/, where the twin's own callback is computed
    "/register/netizen/callback": "/sso/register/netizen/callback",
    "/register/password": "/zh-tw/password",
    "/register/done": "/zh-tw/welcome",
    "/member": "/zh-tw/my",
    "/gold": "/zh-tw/gold-member",
    "/gold/agent/download": "/downloads/security-agent",
    "/gold/verify": "/zh-tw/gold-member/moica",
    "/gold/nonce": "/api/moica/challenge",
    "/gold/done": "/zh-tw/gold-member/verified",
    "/gold/app-qr.png": "/img/taipeipass-app.png",
    "/login": "/zh-tw/sign-in",
    "/logout": "/zh-tw/sign-out",
}


TWIN_PAGES = tuple(RENAMED_PATHS)  # every page and form of the twin (a test checks against its router)


def _renamed(path: str) -> str:
    if path.startswith("/static/"):
        return "/assets/" + path.removeprefix("/static/")
    return RENAMED_PATHS.get(path, path)


def _under_tpcd(path: str) -> str:
    """Every page of the twin under /tpcd/, as a portal mounted under a path prefix serves it (other sites' paths,
    such as the 安控元件's /popupForm in the twin's script, stay)."""
    if path in RENAMED_PATHS or path.startswith("/static/"):
        return "/tpcd" + path
    return path


# Page chrome: links that repeat the steps' words, in a site navigation and a footer, on every page.
NAVIGATION = (
    '<nav aria-label="網站導覽" class="variant-nav"><ul>'
    '<li><a href="/">臺北卡3.0</a></li><li><a href="/apply">申請臺北卡</a></li>'
    '<li><a href="/apply">金質會員註冊</a></li><li><a href="/gold">金質會員認證</a></li>'
    '<li><a href="/member">會員專區</a></li><li><a href="/login">登入</a></li></ul></nav>'
)
FOOTER = (
    '<footer class="variant-footer"><ul>'
    '<li><a href="/apply">申請臺北卡</a></li><li><a href="/gold">下載安控元件</a></li>'
    '<li><a href="/apply">下一步</a></li><li><a href="/login">登入</a></li><li><a href="/member">會員專區</a></li>'
    '<li><a href="/">回到首頁</a></li></ul></footer>'
)


def _navigation(html: str, rename: Rename) -> str:
    nav, footer = (QUOTED_PATH.sub(lambda m: m["quote"] + rename(m["path"]), part) for part in (NAVIGATION, FOOTER))
    return html.replace("</header>", "</header>" + nav, 1).replace("</body>", footer + "</body>", 1)


# Layout: the content in a two-column grid beside a sidebar, under breadcrumbs naming the page.
H1 = re.compile(r"<h1>(?P<title>.*?)</h1>", re.S)


def _layout(html: str, rename: Rename) -> str:
    found = H1.search(html)
    if found is None:
        return html
    crumbs = (
        '<nav aria-label="導覽路徑" class="variant-breadcrumbs"><ol>'
        f'<li><a href="{rename("/")}">臺北卡3.0</a></li><li aria-current="page">{found["title"]}</li></ol></nav>'
    )
    sidebar = '<aside class="variant-sidebar"><p>臺北市政府</p><p>服務專線 1999</p></aside>'
    grid = '<div class="variant-grid" style="display:grid;grid-template-columns:12rem 1fr;gap:1rem">'
    laid_out = html.replace("<main>", f'<main>{crumbs}{grid}{sidebar}<div class="variant-content">', 1)
    laid_out = laid_out.replace("</main>", "</div></div></main>", 1)
    # Its own wording of the links the guide does not spell out (its profile says so).
    return laid_out.replace(">登入</a>", ">會員登入</a>").replace(">會員專區</a>", ">我的專區</a>")


VARIANTS = {
    variant.name: variant
    for variant in (
        Variant("renamed", "every route renamed, home and 網路市民 callback included", rename=_renamed),
        Variant("navigation", "site navigation and footer links that repeat the steps' words", decorate=_navigation),
        Variant(
            "layout", "the content in a layout grid under breadcrumbs, its links worded its own way", decorate=_layout
        ),
        Variant("prefixed", "the whole portal under the path prefix /tpcd/", rename=_under_tpcd),
    )
}
