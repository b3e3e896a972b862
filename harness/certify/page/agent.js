// The portal's side of the 安控元件: find it, and sign through its /popupForm bridge
// (docs/protocols/hipki-agent.md#the-popupform-bridge).
(function () {
  "use strict";

  var NOT_RUNNING = "安控元件沒有回應：請確認安控元件已安裝並已啟動（右下角顯示 Ready）後再試。";
  var MAJOR = {
    0x76000006: "請將自然人憑證插入讀卡機後再按「送出」。",
    0x76100003: "找不到讀卡機，請確認讀卡機已連接電腦並運作正常。",
    0x76100004: "找不到讀卡機，請確認讀卡機已連接電腦並運作正常。",
    0x76000999: "您已取消輸入 PIN 碼。",
    0x7600000D: NOT_RUNNING,
    0x76500001: "您的自然人憑證尚未生效。",
    0x76500002: "您的自然人憑證已過期，請至戶政事務所辦理展期或重新申請。",
    0x76000998: "請輸入自然人憑證 PIN 碼。"
  };
  var MINOR = {
    0x80000002: "PIN 碼錯誤，剩餘兩次機會。",
    0x80000001: "PIN 碼錯誤，剩餘一次機會；再錯一次將鎖卡。",
    0xA4: "PIN 碼已鎖定（錯誤三次），請至戶政事務所或以用戶代碼線上解鎖後再試。",
    0xA2: "PIN 碼長度須為 6 至 8 碼。",
    0xA0: "PIN 碼錯誤。"
  };
  var UNTRUSTED = [0x76000031, 0x7600000F];

  function unsigned(code) { return code < 0 ? code + 0x100000000 : code; }  // ret_code may arrive negative

  function describe(result) {
    var major = unsigned(result.ret_code), minor = unsigned(result.last_error || 0);
    if (major === 0x76100006) { return MINOR[minor] || "自然人憑證登入失敗，請確認 PIN 碼。"; }
    if (UNTRUSTED.indexOf(major) >= 0) { return "本網站尚未加入安控元件的信任網站，請按「加入信任網站」後再試。"; }
    return MAJOR[major] || ("安控元件回應錯誤（代碼 0x" + major.toString(16).toUpperCase() + "）。");
  }

  // One request per popup: wait for its getTbs, post the request, take the answer
  // (docs/protocols/hipki-agent.md#the-popupform-bridge).
  function viaPopup(agent, path, request, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var popup = window.open(agent + path, "tpcd-agent", "width=480,height=320");
      if (!popup) { reject(new Error("請允許本網站開啟彈出視窗，才能使用安控元件。")); return; }
      var timer = setTimeout(function () {
        finish();
        try { popup.close(); } catch (e) { /* already gone */ }
        reject(new Error(NOT_RUNNING));
      }, timeoutMs);
      function finish() { clearTimeout(timer); window.removeEventListener("message", onMessage); }
      function onMessage(event) {
        if (event.origin !== agent) { return; }
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (data.func === "getTbs") {
          if (request) { popup.postMessage(JSON.stringify(request), agent); }
          return;
        }
        finish();
        resolve(data);
      }
      window.addEventListener("message", onMessage);
    });
  }

  function detect(section) {
    var agent = section.dataset.agentUrl;
    var status = document.getElementById("agent-status");
    var next = document.getElementById("to-step-two");
    var body = new URLSearchParams({tbsPackage: JSON.stringify({func: "CheckEnvir"})});
    // An opaque (no-cors) answer is enough to know the agent is listening; its content needs the popup.
    fetch(agent + "/pkcs11info", {method: "POST", mode: "no-cors", body: body})
      .then(function () {
        status.textContent = "安控元件已啟動，請按「下一步」進行步驟二。";
        next.hidden = false;
      })
      .catch(function () {
        status.textContent = "尚未偵測到安控元件：請下載並安裝安控元件，待右下角的安控元件顯示 Ready 後，" +
          "按鍵盤上的 F5 重新整理此頁。";
      });
  }

  function stepTwo(form) {
    var agent = form.dataset.agentUrl, timeout = parseInt(form.dataset.agentTimeout, 10), csrf = form.dataset.csrf;
    var nonceUrl = form.dataset.nonceUrl, verifyUrl = form.dataset.verifyUrl;  // the portal's own, as its page declares
    var dialog = document.getElementById("pin-dialog"), pinForm = document.getElementById("pin-form");
    var error = document.getElementById("card-error"), progress = document.getElementById("card-progress");
    var trust = document.getElementById("trust-site");
    var pending = null;

    function fail(message, untrusted) {
      error.textContent = message;
      error.hidden = false;
      progress.textContent = "";
      trust.hidden = !untrusted;
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      var id = form.elements.id_number.value.trim().toUpperCase();
      if (!/^[A-Z][1289]\d{8}$/.test(id)) { fail("請輸入正確的身分證字號（1 個英文字母加 9 個數字）。"); return; }
      fetch(nonceUrl, {method: "POST", headers: {"X-CSRF-Token": csrf}})
        .then(function (r) { return r.json(); })
        .then(function (nonce) {
          pending = {id: id, nonce: nonce};
          dialog.showModal();
          pinForm.elements.pin.focus();
        });
    });

    pinForm.addEventListener("submit", function (event) {
      var choice = event.submitter ? event.submitter.value : "ok";
      var pin = pinForm.elements.pin.value;
      pinForm.elements.pin.value = "";
      if (choice !== "ok" || !pending) { return; }
      var asked = pending;
      pending = null;
      progress.textContent = "實名驗證中，請稍候…";
      var request = {func: "MakeSignature", signatureType: "PKCS1", tbs: asked.nonce.nonce, tbsEncoding: "NONE",
                     hashAlgorithm: "SHA256", withCardSN: "true", pin: pin, nonce: ""};
      viaPopup(agent, "/popupForm", request, timeout)  // inside the [OK] click: the popup is allowed
        .then(function (result) {
          if (unsigned(result.ret_code) !== 0) {
            var untrusted = UNTRUSTED.indexOf(unsigned(result.ret_code)) >= 0;
            throw Object.assign(new Error(describe(result)), {untrusted: untrusted});
          }
          return fetch(verifyUrl, {
            method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
            body: JSON.stringify({id_number: asked.id, nonce_id: asked.nonce.nonce_id,
                                  signature: result.signature, certb64: result.certb64})
          }).then(function (r) { return r.json(); });
        })
        .then(function (answer) {
          if (answer.next) { location.assign(answer.next); } else { throw new Error(answer.error); }
        })
        .catch(function (err) { fail(err.message, err.untrusted); });
    });

    trust.addEventListener("click", function () {
      viaPopup(agent, "/addDomain?domain=" + encodeURIComponent(location.hostname), null, 120000)
        .then(function (result) {
          if (unsigned(result.ret_code) === 0) {
            trust.hidden = true;
            error.hidden = true;
            progress.textContent = "已加入信任網站，請再按一次「送出」。";
          } else {
            fail("未加入信任網站。", true);
          }
        })
        .catch(function (err) { fail(err.message, true); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("agent-check");
    if (section) { detect(section); }
    var form = document.getElementById("card-form");
    if (form) { stepTwo(form); }
  });
})();
