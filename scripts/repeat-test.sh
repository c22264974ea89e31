#!/usr/bin/env bash
# Runs one vitest target N times in a row and stops at the first failure, for tests that
# exercise races: scripts/repeat-test.sh 20 test/e2e/read-committed-stress.test.ts
set -u
n=${1:?usage: scripts/repeat-test.sh N <vitest paths/args>}
shift
for i in $(seq "$n"); do
  if ! npx vitest run "$@" >/tmp/repeat-test.$$.log 2>&1; then
    cat /tmp/repeat-test.$$.log
    rm -f /tmp/repeat-test.$$.log
    echo "run $i of $n failed"
    exit 1
  fi
  echo "run $i of $n passed"
done
rm -f /tmp/repeat-test.$$.log
echo "all $n runs passed"
