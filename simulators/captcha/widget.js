// reCAPTCHA v2 checkbox stand-in, served by the captcha simulator (simulators/captcha/service.py).
// Same page API as Google's: .g-recaptcha[data-sitekey][data-callback][data-expired-callback], grecaptcha.render,
// grecaptcha.getResponse, grecaptcha.reset, ?onload=<fn>. The token goes into the form field g-recaptcha-response.
(function () {
  "use strict";
  var SIMULATOR = "__SIMULATOR__";
  var SCRIPT = document.currentScript;  // only defined while this script first runs
  var TTL_MS = __TTL_MS__;
  var widgets = [];

  function call(name, value) {
    var fn = typeof name === "function" ? name : (name ? window[name] : null);
    if (typeof fn === "function") { fn(value); }
  }

  function post(path, body) {
    return fetch(SIMULATOR + path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  function render(container, params) {
    if (typeof container === "string") { container = document.getElementById(container); }
    params = params || {};
    var id = widgets.length;
    var sitekey = params.sitekey || container.getAttribute("data-sitekey");
    var w = {
      callback: params.callback || container.getAttribute("data-callback"),
      expired: params["expired-callback"] || container.getAttribute("data-expired-callback"),
      token: "", timer: null
    };
    widgets.push(w);
    container.innerHTML = "";
    var box = document.createElement("div");
    box.className = "grecaptcha-box";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "reCAPTCHA");
    box.style.cssText = "display:inline-block;border:1px solid #d3d3d3;border-radius:3px;padding:12px 16px;" +
      "background:#f9f9f9;font:14px sans-serif";
    var input = document.createElement("input");
    input.type = "checkbox";
    input.id = "g-recaptcha-checkbox-" + id;
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = "我不是機器人";
    label.style.marginLeft = "8px";
    var status = document.createElement("div");
    status.setAttribute("role", "status");
    status.style.cssText = "font-size:12px;color:#555;min-height:1em";
    var field = document.createElement("textarea");
    field.name = "g-recaptcha-response";
    field.style.display = "none";
    box.appendChild(input); box.appendChild(label); box.appendChild(status);
    container.appendChild(box); container.appendChild(field);
    w.input = input; w.field = field; w.status = status; w.box = box;

    function accept(token) {
      w.token = token; field.value = token; input.checked = true; input.disabled = true;
      status.textContent = "驗證成功";
      clearTimeout(w.timer);
      w.timer = setTimeout(function () {
        reset(id);
        status.textContent = "驗證已過期，請重新勾選";
        call(w.expired);
      }, TTL_MS);
      call(w.callback, token);
    }

    function challenge(reply) {
      var panel = document.createElement("div");
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-label", "圖片驗證");
      panel.innerHTML = '<p>請輸入圖中的數字</p><img alt="驗證圖片" src="data:image/svg+xml;charset=utf-8,' +
        encodeURIComponent(reply.image) + '"><br>';
      var answer = document.createElement("input");
      answer.setAttribute("aria-label", "圖中的數字");
      var ok = document.createElement("button");
      ok.type = "button"; ok.textContent = "驗證";
      ok.addEventListener("click", function () {
        post("/recaptcha/api2/answer", { challenge: reply.challenge, answer: answer.value, hostname: location.hostname })
          .then(function (r) {
            if (r.token) { panel.remove(); accept(r.token); }
            else { status.textContent = r.error; panel.remove(); input.checked = false; }
          });
      });
      panel.appendChild(answer); panel.appendChild(ok);
      box.appendChild(panel);
    }

    input.addEventListener("change", function () {
      if (!input.checked) { return; }
      status.textContent = "驗證中…";
      post("/recaptcha/api2/userverify", { sitekey: sitekey, hostname: location.hostname })
        .then(function (r) {
          if (r.token) { accept(r.token); }
          else if (r.challenge) { challenge(r); }
          else { input.checked = false; status.textContent = r.error || "無法驗證"; }
        })
        .catch(function () { input.checked = false; status.textContent = "無法連線到驗證服務，請稍後再試"; });
    });
    return id;
  }

  function reset(id) {
    var w = widgets[id || 0];
    if (!w) { return; }
    clearTimeout(w.timer);
    w.token = ""; w.field.value = ""; w.input.checked = false; w.input.disabled = false; w.status.textContent = "";
  }

  window.grecaptcha = {
    render: render,
    reset: reset,
    getResponse: function (id) { var w = widgets[id || 0]; return w ? w.token : ""; },
    ready: function (fn) { fn(); }
  };

  function boot() {
    var nodes = document.querySelectorAll(".g-recaptcha");
    for (var i = 0; i < nodes.length; i++) { render(nodes[i]); }
    var onload = new URL(SCRIPT ? SCRIPT.src : location.href).searchParams.get("onload");
    if (onload) { call(onload); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else { boot(); }
})();
