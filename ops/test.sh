#!/usr/bin/env bash
# `make test`: the stack up, unit + integration tests against it, the stack down (always).
# Exits with pytest's exit code; prints the wall time and repeats pytest's summary line last.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
mkdir -p run/logs
log=run/logs/pytest.log

ADWATCH_REQUIRE_STACK=1 ops/with-stack bash -c \
  '.venv/bin/pytest -q -p no:cacheprovider tests/unit tests/integration "$@" 2>&1 | tee "$0"; exit "${PIPESTATUS[0]}"' \
  "$log" "$@"
rc=$?
# The runner's closing line, read now: under CI `ops/stack clean` removes run/ below.
summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|skipped|deselected)|no tests ran' "$log" | tail -n 1)

if [ "${CI:-}" = "true" ]; then
  if [ "$rc" -ne 0 ]; then  # the service logs go with the clone: show their tails now
    for f in run/logs/{postgres,redis,mosquitto,kafka,timescale}.log; do
      [ -f "$f" ] && { echo "----- tail of $f"; tail -n 15 "$f"; }
    done
  fi
  ops/stack clean >/dev/null || true  # also removes a PostgreSQL folder kept outside the clone
fi
echo "[test] wall time $(( $(date +%s) - start ))s, pytest exit code $rc"
# Repeated last so that the stack-down output does not bury it.
[ -n "$summary" ] && echo "$summary"
exit "$rc"
