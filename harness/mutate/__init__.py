"""`tpcd mutate`: the suite measured by mutation testing of the portal twin (docs/mutation.md)."""

from __future__ import annotations

# What a mutant's pytest is told through its environment (harness/mutate/plugin.py reads them); not TPCD_*, which
# names settings only.
PLUGIN = "harness.mutate.plugin"
MUTANT_DIR = "MUTANT_PORTAL_DIR"  # the folder holding the mutant's copy of portal/
MUTANT_STEPS = "MUTANT_DOC_STEPS"  # its documented steps, comma-separated
STEPS_ONLY = "MUTANT_STEPS_ONLY"  # "1": the scenarios of those steps only
SELECTION = "selection.json"  # written into the mutant's folder: which scenarios are its steps', which the rest
DURATIONS = "durations.json"  # each scenario's last duration (from the project's .pytest_cache), shortest tried first
# Session mode (harness/mutate/pool.py starts the sessions, harness/mutate/session.py runs in each).
QUEUE = "MUTANT_QUEUE"  # the run's queue folder (harness/mutate/queue.py)
SESSION_LIMIT = "MUTANT_SESSION_LIMIT"  # mutants one session runs before it ends and a fresh one takes over (0: all)
PROJECT = "MUTANT_PROJECT"  # the project root, whose portal/ each mutant is a copy of
MAP_SHARD = "MUTANT_MAP_SHARD"  # "K/N": this session maps which twin lines every N-th scenario runs, from the K-th
