// reCAPTCHA v2 stand-in, served by the captcha simulator as /recaptcha/api.js (simulators/captcha/service.py).
// The page API is Google's (developers.google.com/recaptcha/docs/display and docs/invisible): .g-recaptcha elements
// with data-sitekey / data-callback / data-expired-callback / data-error-callback / data-theme / data-size /
// data-tabindex, auto-rendered unless api.js?render=explicit; api.js?onload=<fn>; api.js?hl=<language>;
// grecaptcha.render(container, parameters) → widget id (0, 1, …), grecaptcha.execute / reset / getResponse
// (opt_widget_id, the first widget by default), grecaptcha.ready. The token lands in a hidden
// <textarea id="g-recaptcha-response[-N]" name="g-recaptcha-response"> inside the container, as Google's does.
// Unlike Google's, the checkbox is drawn inline rather than in an iframe, so it is found by role and name.
(function () {
  "use strict";
  var SIMULATOR = "__SIMULATOR__";
  var TTL_MS = __TTL_MS__;
  var TEST_SITE_KEY = "__TEST_SITE_KEY__";
  var PARAMS = __PARAMS__;  // the query string this script was loaded with: onload, render, hl
  var TEXTS = {
    "zh-TW": {
      label: "我不是機器人", checking: "驗證中…", done: "驗證成功", expired: "驗證已過期，請重新勾選",
      wrong: "驗證失敗，請再試一次", offline: "無法連線到驗證服務，請稍後再試", failed: "無法驗證",
      dialog: "圖片驗證", prompt: "請輸入圖中的數字", answer: "圖中的數字", image: "驗證圖片", verify: "驗證",
      badge: "受 reCAPTCHA 保護"
    },
    "zh-CN": {
      label: "进行人机身份验证", checking: "验证中…", done: "验证成功", expired: "验证已过期，请重新勾选",
      wrong: "验证失败，请再试一次", offline: "无法连接到验证服务，请稍后再试", failed: "无法验证",
      dialog: "图片验证", prompt: "请输入图中的数字", answer: "图中的数字", image: "验证图片", verify: "验证",
      badge: "受 reCAPTCHA 保护"
    },
    "en": {
      label: "I'm not a robot", checking: "Verifying…", done: "Verified",
      expired: "Verification expired. Check the checkbox again.", wrong: "Please try again.",
      offline: "Cannot contact reCAPTCHA. Check your connection and try again.", failed: "Could not verify",
      dialog: "Image challenge", prompt: "Type the digits in the image", answer: "Digits in the image",
      image: "Challenge image", verify: "Verify", badge: "protected by reCAPTCHA"
    }
  };
  // Google's own words on its published test keys (docs/protocols/recaptcha.md#test-keys).
  var TEST_BANNER = "This reCAPTCHA is for testing purposes only. Please report to the site admin if you are seeing this.";
  var RESPONSE_STYLE = "width: 250px; height: 40px; border: 1px solid rgb(193, 193, 193); margin: 10px 25px; " +
    "padding: 0px; resize: none; display: none;";  // Google's textarea, as saved pages show it
  var widgets = [];

  function language() {
    var wanted = [PARAMS.hl, navigator.language].filter(Boolean);
    for (var i = 0; i < wanted.length; i++) {
      var tag = wanted[i].replace("_", "-");
      if (TEXTS[tag]) { return TEXTS[tag]; }
      var lower = tag.toLowerCase();
      if (/^zh-(hant|tw|hk|mo)/.test(lower)) { return TEXTS["zh-TW"]; }
      if (/^zh/.test(lower)) { return TEXTS["zh-CN"]; }
      if (/^en/.test(lower)) { return TEXTS.en; }
    }
    return TEXTS.en;
  }
  var T = language();

  function call(name, value) {
    var fn = typeof name === "function" ? name : (name ? window[name] : null);
    if (typeof fn === "function") { fn(value); }
  }

  function post(path, body) {
    return fetch(SIMULATOR + path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function widget(id) {
    if (!widgets.length) { throw new Error("No reCAPTCHA clients exist."); }
    var w = widgets[id === undefined || id === null ? 0 : id];
    if (!w) { throw new Error("Invalid reCAPTCHA client id: " + id); }
    return w;
  }

  function option(params, container, name) {
    return params[name] !== undefined ? params[name] : container.getAttribute("data-" + name);
  }

  function render(container, params) {
    if (typeof container === "string") { container = document.getElementById(container); }
    if (!container || !container.nodeType) { throw new Error("reCAPTCHA placeholder element must be an element or id"); }
    if (container.hasAttribute("data-grecaptcha-id")) {
      throw new Error("reCAPTCHA has already been rendered in this element");
    }
    params = params || {};
    var sitekey = option(params, container, "sitekey");
    if (!sitekey) { throw new Error("Missing required parameters: sitekey"); }
    var id = widgets.length;
    var bound = container.tagName === "BUTTON" || (container.tagName === "INPUT" && container.type === "submit");
    var size = bound ? "invisible" : (option(params, container, "size") || "normal");
    var dark = option(params, container, "theme") === "dark";
    var w = {
      id: id, sitekey: sitekey, size: size, token: "", timer: null, panel: null,
      callback: option(params, container, "callback"),
      expired: option(params, container, "expired-callback"),
      error: option(params, container, "error-callback")
    };
    widgets.push(w);
    container.setAttribute("data-grecaptcha-id", String(id));

    var box = document.createElement("div");
    box.className = size === "invisible" ? "grecaptcha-badge" : "grecaptcha-box";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "reCAPTCHA");
    box.style.cssText = "display:inline-block;border:1px solid #d3d3d3;border-radius:3px;font:14px sans-serif;" +
      "padding:" + (size === "compact" ? "8px" : "12px 16px") + ";" +
      (dark ? "background:#222;color:#fff" : "background:#f9f9f9;color:#000");
    var status = document.createElement("div");
    status.setAttribute("role", "status");
    status.style.cssText = "font-size:12px;min-height:1em";
    if (size === "invisible") {
      var badge = document.createElement("span");
      badge.textContent = T.badge;
      box.appendChild(badge);
    } else {
      var input = document.createElement("input");
      input.type = "checkbox";
      input.id = "g-recaptcha-checkbox-" + id;
      var tabindex = option(params, container, "tabindex");
      if (tabindex !== null && tabindex !== undefined) { input.tabIndex = Number(tabindex); }
      var label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = T.label;
      label.style.marginLeft = "8px";
      box.appendChild(input); box.appendChild(label);
      input.addEventListener("change", function () { if (input.checked) { verify(w); } });
      w.input = input;
    }
    box.appendChild(status);
    if (sitekey === TEST_SITE_KEY) {
      var banner = document.createElement("div");
      banner.style.cssText = "color:#d00;font-size:10px;max-width:270px";
      banner.textContent = TEST_BANNER;
      box.appendChild(banner);
    }
    var field = document.createElement("textarea");
    field.id = id === 0 ? "g-recaptcha-response" : "g-recaptcha-response-" + id;
    field.name = "g-recaptcha-response";
    field.className = "g-recaptcha-response";
    field.style.cssText = RESPONSE_STYLE;
    var holder = container;
    if (bound) {  // a button cannot hold the badge: it goes right after it, still inside the form
      holder = document.createElement("div");
      container.parentNode.insertBefore(holder, container.nextSibling);
      container.addEventListener("click", function (event) { event.preventDefault(); verify(w); });
    }
    holder.appendChild(box); holder.appendChild(field);
    w.field = field; w.status = status; w.box = box;
    return id;
  }

  function accept(w, token) {
    w.token = token; w.field.value = token;
    if (w.input) { w.input.checked = true; w.input.disabled = true; }
    w.status.textContent = T.done;
    clearTimeout(w.timer);
    w.timer = setTimeout(function () {
      clear(w);
      w.status.textContent = T.expired;
      call(w.expired);
    }, TTL_MS);
    call(w.callback, token);
  }

  function refuse(w, text) {
    if (w.input) { w.input.checked = false; }
    w.status.textContent = text;
  }

  function challenge(w, reply) {
    var panel = document.createElement("div");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", T.dialog);
    var prompt = document.createElement("p");
    prompt.textContent = T.prompt;
    var image = document.createElement("img");
    image.alt = T.image;
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(reply.image);
    var answer = document.createElement("input");
    answer.setAttribute("aria-label", T.answer);
    var ok = document.createElement("button");
    ok.type = "button"; ok.textContent = T.verify;
    ok.addEventListener("click", function () {
      post("/recaptcha/api2/answer", { challenge: reply.challenge, answer: answer.value, hostname: location.hostname })
        .then(function (r) {
          panel.remove(); w.panel = null;
          if (r.token) { accept(w, r.token); } else { refuse(w, T.wrong); }
        })
        .catch(function () { panel.remove(); w.panel = null; refuse(w, T.offline); call(w.error); });
    });
    panel.appendChild(prompt); panel.appendChild(image); panel.appendChild(document.createElement("br"));
    panel.appendChild(answer); panel.appendChild(ok);
    w.box.appendChild(panel);
    w.panel = panel;
  }

  function verify(w) {
    if (w.token || w.panel) { return; }
    if (w.input) { w.input.checked = true; }
    w.status.textContent = T.checking;
    post("/recaptcha/api2/userverify", { sitekey: w.sitekey, hostname: location.hostname })
      .then(function (r) {
        if (r.token) { accept(w, r.token); }
        else if (r.challenge) { challenge(w, r); }
        else { refuse(w, r.error || T.failed); }
      })
      .catch(function () { refuse(w, T.offline); call(w.error); });
  }

  function clear(w) {
    clearTimeout(w.timer);
    if (w.panel) { w.panel.remove(); w.panel = null; }
    w.token = ""; w.field.value = "";
    if (w.input) { w.input.checked = false; w.input.disabled = false; }
  }

  window.grecaptcha = {
    render: render,
    execute: function (id) { verify(widget(id)); },
    reset: function (id) { var w = widget(id); clear(w); w.status.textContent = ""; },
    getResponse: function (id) { return widget(id).token; },
    ready: function (fn) { fn(); }
  };

  function boot() {
    if (PARAMS.render !== "explicit") {
      var nodes = document.querySelectorAll(".g-recaptcha");
      for (var i = 0; i < nodes.length; i++) {
        if (nodes[i].hasAttribute("data-grecaptcha-id")) { continue; }
        try { render(nodes[i]); } catch (error) { console.error(error); }  // one bad element spoils no other
      }
    }
    if (PARAMS.onload) { call(PARAMS.onload); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else { boot(); }
})();
