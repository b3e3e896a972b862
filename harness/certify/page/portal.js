// Progressive enhancement only: the server re-checks everything these controls gate.
(function () {
  "use strict";
  var captchaToken = "";

  function syncNext() {
    var code = document.querySelector("[data-requires-for]");
    if (!code) { return; }
    var next = document.getElementById(code.dataset.requiresFor);
    // 灰色[下一步] turns active only when both the code and the 「我不是機器人」 token are there (step 6).
    next.disabled = !(code.value.trim().length > 0 && captchaToken);
  }

  window.tpcdCaptchaDone = function (token) { captchaToken = token; syncNext(); };
  window.tpcdCaptchaExpired = function () { captchaToken = ""; syncNext(); };

  function countdown(button, label) {
    var left = parseInt(button.dataset.cooldown || "0", 10);
    if (left <= 0) { return; }
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        label.textContent = "";
      } else {
        label.textContent = left + " 秒後可重新寄送";
      }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[type=checkbox][data-enables]").forEach(function (box) {
      var target = document.getElementById(box.dataset.enables);
      var sync = function () { target.disabled = !box.checked; };
      box.addEventListener("change", sync);
      sync();
    });
    var code = document.querySelector("[data-requires-for]");
    if (code) { code.addEventListener("input", syncNext); }
    var resend = document.getElementById("resend");
    if (resend) { countdown(resend, document.getElementById("resend-countdown")); }
    document.querySelectorAll("[data-password-rules]").forEach(function (input) {
      var rules = document.querySelectorAll("#" + input.dataset.passwordRules + " [data-pattern]");
      var sync = function () {
        rules.forEach(function (rule) {
          var met = new RegExp(rule.dataset.pattern).test(input.value);
          rule.classList.toggle("met", met);
          rule.querySelector(".rule-state").textContent = met ? "（已符合）" : "（未符合）";
        });
      };
      input.addEventListener("input", sync);
      sync();
    });
  });
})();
