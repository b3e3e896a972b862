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
# # 3. Reproducing a failed scenario from a report, and keeping an exploration as a `.feature`
#
# A scenario failed in CI. Its Allure result holds everything needed to be back where it failed: the citizen's seed
# (the same name, ID, mobile and PIN again), the steps as they ran, the failing step and its error, and a ready
# notebook (the attachment 「在筆記本重現」) that replays the steps before the failing one and stops there.
# `tpcd notebook --reopen 'scenario name'` opens that notebook in JupyterLab.
#
# Here we make such a failure ourselves, then reproduce it, find out why, and keep the corrected walk as a feature.

# %% [markdown]
# ## A failing run, as CI would have it
#
# A scenario that expects the password page right after the contact is verified (the portal asks for the basic data
# first), run by the suite's own command line into its own Allure results.

# %%
import subprocess
import sys

from harness.settings import find_project_root

root = find_project_root()  # the kernel starts in notebooks/
ci = root / "reports" / "notebook" / "ci-demo"
(ci / "features").mkdir(parents=True, exist_ok=True)
(ci / "features" / "demo.feature").write_text(
    """# language: zh-TW
@registration
功能: 示範：CI 中失敗的一次執行

  @doc-step-6 @doc-step-8 @sms
  場景: 市民通過手機驗證後設定密碼
    假如 市民已同意個資使用相關內容
    當 市民選擇以手機接收驗證碼並按下「寄送驗證碼簡訊」
    而且 市民輸入手機收到的驗證碼
    而且 市民勾選「我不是機器人」
    而且 市民按下「下一步」
    那麼 市民看到「設定密碼」頁面
""",
    encoding="utf-8",
)
suite = [sys.executable, "-m", "pytest", "steps/test_scenarios.py", "-q", "--color=no", "-p", "no:cacheprovider"]
suite += ["-o", f"bdd_features_base_dir={ci / 'features'}", "--citizen-seed", "4242"]
suite += ["--alluredir", str(ci / "allure-results"), "--clean-alluredir"]
finished = subprocess.run(suite, cwd=root, capture_output=True, text=True)
assert finished.returncode == 1, finished.stdout[-2000:]  # one scenario, failed
print(finished.stdout.strip().splitlines()[-1])

# %% [markdown]
# ## What the report says
#
# `failures` reads an `allure-results` folder (CI's, downloaded, or `reports/allure-results` after `make run`).

# %%
from harness.notebook.reopen import failures

[(result, failure)] = list(failures(ci / "allure-results"))
print(failure.scenario)
print("failed at step", failure.failing + 1, ":", failure.steps[failure.failing])
print("citizen seed", failure.seed, "worker", failure.worker)
print(failure.error.splitlines()[0])

# %% [markdown]
# The failed result carries the notebook that reopens it:

# %%
attached = sorted(result.parent.glob("*-attachment.ipynb"))
assert len(attached) == 1
import nbformat

reopen = nbformat.read(attached[0], as_version=4)
assert reopen.cells[3].source == f"%%gherkin --seed {failure.seed}\n{failure.before}"  # the steps before, same citizen
assert reopen.cells[-1].source == f"%%gherkin --continue\n{failure.rest}"  # the failing step, waiting
print(reopen.cells[3].source)

# %% [markdown]
# ## Back to just before the failing step
#
# The same citizen (by seed) on a fresh stack, the steps before the failing one run, and the notebook stops there.

# %%
# %load_ext harness.notebook

# %%
# %tpcd up --seed 4242

# %%
before = tpcd.gherkin(failure.before, seed=failure.seed, worker=failure.worker)
assert before.passed
assert tpcd.citizen.seed == failure.seed  # `citizen`, `page` and `screen` are this scenario's after the cell

# %% [markdown]
# Now the failing step itself: does it still fail, and the same way?

# %%
again = tpcd.gherkin(failure.rest, proceed=True)
assert not again.passed
assert again.failed_step.text == failure.steps[failure.failing]

# %% [markdown]
# ## Why: look at the page
#
# The citizen is on 基本資料, not 設定密碼: the portal asks for the basic data first (documented step 7). The scenario
# was wrong, not the portal.

# %%
# %%browser
page.get_by_role("heading", level=1).text_content()

# %%
assert _ == "基本資料"

# %% [markdown]
# Go on as the documentation says: the citizen sees 基本資料, fills it in, and only then sees 設定密碼.

# %%
# %%gherkin --continue
那麼 市民看到「基本資料」頁面
當 市民填寫基本資料
而且 市民按下「下一步」
那麼 市民看到「設定密碼」頁面

# %%
assert _.passed

# %% [markdown]
# ## Keep the exploration as a feature
#
# `%tpcd feature` writes the steps that passed in this scenario, across its cells, as one scenario. Here it goes
# under `reports/`; to add it to the suite, write it under `features/` (and tag it `@doc-step-N` for each documented
# step it walks: `tpcd trace` counts it then).

# %%
# %tpcd feature reports/notebook/explored.feature --feature 通過手機驗證後填寫基本資料再設定密碼 --scenario 市民通過手機驗證、填寫基本資料後看到設定密碼頁面 --tags doc-step-6,doc-step-7,doc-step-8,sms

# %%
kept = (root / "reports" / "notebook" / "explored.feature").read_text(encoding="utf-8")
print(kept)
assert "那麼 市民看到「基本資料」頁面\n    當 市民填寫基本資料" in kept
assert kept.rstrip().endswith("那麼 市民看到「設定密碼」頁面")

# %% [markdown]
# And it runs as a scenario of its own, with a new citizen:

# %%
kept_run = tpcd.gherkin(kept)
assert kept_run.passed
assert kept_run[0].tags == ("doc-step-6", "doc-step-7", "doc-step-8", "sms")

# %%
# %tpcd down
