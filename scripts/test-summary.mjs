// Prints vitest's JSON results as one plain closing line, "N passed, N failed, N skipped",
// which CI reads whatever the runner; exits non-zero when anything failed or no test ran.
// A test file that fails without a failing test (it did not load, or a beforeAll/afterAll hook
// threw) counts as one failure, and so does a run vitest itself calls unsuccessful (e.g. an
// unhandled error): a green closing line must mean a green run.
import { existsSync, readFileSync } from 'node:fs';

if (!existsSync(process.argv[2])) {
  process.stdout.write(`tests: 0 passed, 1 failed, 0 skipped (vitest wrote no ${process.argv[2]})\n`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const passed = r.numPassedTests ?? 0;
const failedFiles = (r.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
let failed = (r.numFailedTests ?? 0) + failedFiles;
if (failed === 0 && (r.success !== true || (r.numFailedTestSuites ?? 0) > 0)) failed = 1;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
