"""The agent's own pages: the popupForm bridge and the trusted-site page (docs/protocols/hipki-agent.md)."""

from __future__ import annotations

import html
import json

POPUP_FORM = """<!doctype html>
<html lang="zh-Hant-TW"><meta charset="utf-8"><title>跨平台網頁元件</title>
<body style="font-family:sans-serif"><p role="status">安控元件處理中，請稍候…</p>
<script>
(function () {
  "use strict";
  // One request per popup: announce readiness with getTbs, take one request, relay it same-origin, answer, close.
  var ENDPOINT = {CheckEnvir: "/pkcs11info", GetUserCert: "/pkcs11info?withcert=true",
                  MakeSignature: "/sign", DecryptData: "/decrypt"};
  var busy = false;
  window.addEventListener("message", function (event) {
    if (busy) { return; }
    var request;
    try { request = JSON.parse(event.data); } catch (e) { return; }
    var path = request && ENDPOINT[request.func];
    if (!path) { return; }
    busy = true;
    var body = "tbsPackage=" + encodeURIComponent(JSON.stringify(request)) +
               "&origin=" + encodeURIComponent(event.origin);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () { event.source.postMessage(xhr.responseText, event.origin); window.close(); };
    xhr.onerror = function () {
      event.source.postMessage(JSON.stringify({func: "error", ret_code: 1979711501, last_error: 0}), event.origin);
      window.close();
    };
    xhr.send(body);
  });
  if (window.opener) { window.opener.postMessage(JSON.stringify({func: "getTbs"}), "*"); }
})();
</script></body></html>
"""


def add_domain(domain: str) -> str:
    """「是否將 <domain> 加入信任網站？」 with [是] / [否]; the answer goes back to the opener as {ret_code}."""
    shown = html.escape(domain)
    return f"""<!doctype html>
<html lang="zh-Hant-TW"><meta charset="utf-8"><title>加入信任網站</title>
<body style="font-family:sans-serif"><h1>加入信任網站</h1>
<p id="question">是否將「{shown}」加入安控元件的信任網站？</p>
<button type="button" data-decision="yes">是</button> <button type="button" data-decision="no">否</button>
<script>
document.querySelectorAll("button[data-decision]").forEach(function (button) {{
  button.addEventListener("click", function () {{
    var body = "domain=" + encodeURIComponent({json.dumps(domain)}) +
               "&decision=" + button.dataset.decision;
    var form = {{"Content-Type": "application/x-www-form-urlencoded"}};
    fetch("/addDomain", {{method: "POST", headers: form, body: body}})
      .then(function (r) {{ return r.text(); }})
      .then(function (text) {{ if (window.opener) {{ window.opener.postMessage(text, "*"); }} window.close(); }});
  }});
}});
</script></body></html>
"""
