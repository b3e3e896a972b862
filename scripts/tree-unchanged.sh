#!/usr/bin/env bash
# Run a command and fail if it changed the work tree: a tracked file rewritten, or a new file git does not ignore.
# `make test` and `make run` run under it, so whatever they generate must go under reports/ or a temp folder.
set -uo pipefail
cd "$(dirname "$0")/.."

snapshot() {
  # Every changed or untracked path with its content's hash: catches a file that was already modified and changed again.
  git status --porcelain=v1 -z --untracked-files=all | tr '\0' '\n' | while IFS= read -r line; do
    [ -n "$line" ] || continue
    path=${line:3}
    if [ -f "$path" ]; then
      printf '%s %s\n' "$(sha256sum < "$path" | cut -c1-64)" "$line"
    else
      printf 'gone %s\n' "$line"
    fi
  done
}

before=$(snapshot)
"$@"
status=$?
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "tree-unchanged: '$*' changed the work tree (generated files belong under reports/ or a temp folder):" >&2
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep '^[<>]' | sed 's/^/  /' >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
