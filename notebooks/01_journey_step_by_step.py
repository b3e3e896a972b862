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
# # 1. The journey step by step, with a fault injected midway
#
# This notebook walks a citizen (市民) through the Taipei Card 3.0 gold-member application, a few documented steps
# per cell, and looks at what each step left behind: the page, the SMS, the e-mail, the card and the security agent
# (安控元件). Halfway, the SMS gateway runs out of points (Mitake `statuscode=s`), and we see how the portal tells the
# citizen, then go on once it recovers.
#
# Everything runs here, on this machine: the portal twin, a simulator for every system it calls, a virtual citizen
# card in a real PC/SC reader, and Chromium (headless). Run the cells top to bottom (Shift-Enter).
#
# - `%load_ext harness.notebook` adds the magics: `%tpcd` (the stack, faults, screenshots), `%%gherkin` (steps in a
#   cell, run by the project's own step definitions) and `%%browser` (Python on the browser, with the page objects).
# - `%tpcd up` starts everything and shows the links (open the SMS inbox or the agent's tray in your own browser if
#   you like) and the first citizen. `--seed` makes the citizens the same on every run.

# %%
# %load_ext harness.notebook

# %%
# %tpcd up --seed 20180423

# %% [markdown]
# ## Steps 1–3: apply, choose 金質會員, consent
#
# A `%%gherkin` cell holds Gherkin in Traditional Chinese, exactly as in `features/`: here only steps, so the cell
# becomes one scenario. Each step appears as it runs, with its status, its duration and a thumbnail of the page after
# it (click it to enlarge); under it, what it produced for the report (the citizen, messages read, APDUs …).
#
# A new `%%gherkin` cell starts a new scenario as the suite does: simulators reset, a new browser context and a new
# citizen (the next one of the seed). `--continue` goes on from where the last cell stopped instead.

# %%
# %%gherkin
假如 市民的電腦尚未安裝安控元件
而且 市民曾在臺北市各局處申請過卡證服務
而且 市民已將自然人憑證插入讀卡機
而且 市民開啟臺北卡網站
當 市民按下「申請臺北卡」
而且 市民按下「金質會員註冊」
那麼 市民看到「會員註冊」頁面
當 市民勾選同意個資使用相關內容
而且 市民按下「下一步」
那麼 市民看到「驗證手機或電子郵件」頁面

# %% [markdown]
# The cell's value (`_`) is the run: scenarios → steps, each with its status, duration, error and evidence. Assert on
# it; a notebook that runs but shows the wrong thing must fail.

# %%
run = _
assert run.passed, run.failed_step
assert [step.status for step in run.steps] == ["passed"] * 10
assert all(step.screenshot is not None for step in run.steps)
citizen  # the scenario's citizen: PIN, PUK and password masked

# %% [markdown]
# ## Midway: the SMS gateway runs out of points
#
# Faults are armed by their name in the protocol's own terms: for the SMS gateway, Mitake's `statuscode`; `s` is
# 帳務處理失敗 (no points left). `match` keeps it to this citizen's number, and it fires once.
# `%tpcd fault sms s --match 09…` does the same in one line.

# %%
tpcd.arm("sms", "s", match=citizen.mobile)

# %%
# %%gherkin --continue
當 市民選擇以手機接收驗證碼並按下「寄送驗證碼簡訊」
那麼 市民看到提示「簡訊服務點數不足」
而且 手機欄位仍是市民填的內容

# %% [markdown]
# The portal said why, and kept the number the citizen typed. Nothing reached the phone, and the fault is used up:

# %%
assert _.passed
assert tpcd.sms.messages(citizen.mobile) == []
assert tpcd.faults().by_simulator["sms"] == []
tpcd.sms

# %% [markdown]
# ## Steps 4–6, now that the gateway has points again
#
# The SMS below is the citizen's; its one-time code is masked here, as in every artefact (a step reads it through
# the simulator's client, never from this page).

# %%
# %%gherkin --continue
當 市民選擇以手機接收驗證碼並按下「寄送驗證碼簡訊」
而且 市民輸入手機收到的驗證碼
而且 市民勾選「我不是機器人」
而且 市民按下「下一步」
那麼 市民看到「基本資料」頁面

# %%
assert _.passed
assert len(tpcd.sms.messages(citizen.mobile)) == 1
tpcd.sms

# %% [markdown]
# ## Step 7 by hand, with the page objects
#
# A `%%browser` cell runs Python on the browser's own thread (Playwright cannot run on the kernel's), with `page`,
# `citizen`, the page objects (`HomePage`, `BasicDataPage` …) and the fixtures the steps made (`screen`: the page
# object of the screen the citizen is on). The page is shown after the cell. Assigning `screen` hands it to the next
# `%%gherkin --continue`.

# %%
# %%browser
screen = screen.fill_and_continue(citizen)
screen.heading.text_content()

# %%
assert _ == "設定密碼"

# %% [markdown]
# ## Steps 8–19: password, then the security agent
#
# The citizen registers, answers [是], downloads and installs the 安控元件, and refreshes the page: the tray goes
# from Loading to Ready, then to Going once the page uses it.

# %%
# %%gherkin --continue
當 市民依規則設定密碼
而且 市民按下「註冊」
那麼 市民看到「註冊完成」頁面
當 市民按下「是」
那麼 市民看到「金質會員認證」頁面
當 市民按下「下載安控元件」並執行下載的安裝檔
而且 市民在安全性警告依序按下「執行」、「確認」、「是」
而且 市民在「安控元件 安裝精靈」畫面按下「下一步」
而且 市民接受授權協議並按下「下一步」
而且 市民在「選擇安裝位置」畫面按下「安裝」
而且 市民在「安裝完成」畫面按下「完成」
那麼 右下角的安控元件顯示「Loading」
而且 右下角的安控元件接著顯示「Ready」
當 市民按下 F5 重新整理網頁
那麼 頁面顯示安控元件狀態「安控元件已啟動」

# %%
assert _.passed
agent_state = tpcd.agent.state()
assert agent_state["tray"] in ("Ready", "Going")
tpcd.agent

# %% [markdown]
# ## Steps 20–24: the card, the PIN, 實名認證成功, and 已實名
#
# The citizen's 自然人憑證 is in the virtual reader; the portal asks the agent to sign, the agent asks the card.
# Afterwards the card shows the APDUs it answered (the PIN's bytes masked) and its tries left.

# %%
# %%gherkin --continue
當 市民前往步驟二
而且 市民輸入身分證字號並按下「送出」
那麼 市民看到「PINCODE」輸入框
當 市民輸入 PIN 碼並按下「OK」
那麼 市民看到「實名認證成功」頁面
而且 市民看到自己的帳號
當 市民記下帳號後按下「登入臺北卡3.0網站」
而且 市民以帳號和原來的密碼登入
那麼 左上角狀態顯示「已實名」
而且 右邊列出市民在各局處申請過的卡證服務

# %%
journey = _
assert journey.passed, journey.failed_step
card = tpcd.card.state()
assert card["inserted"] and card["pin_tries"] == 3  # the right PIN costs no try
assert any(request.path == "/sign" for request in tpcd.agent.requests())
tpcd.card

# %% [markdown]
# Notebook 2 certifies the agent requirement by requirement; notebook 3 reproduces a failed scenario from a report
# and keeps an exploration as a `.feature`. `%tpcd down` stops everything (so does shutting the kernel down).

# %%
# %tpcd down
