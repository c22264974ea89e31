// Prints vitest's JSON results as one plain closing line, "N passed, N failed, N skipped",
// which CI reads whatever the runner; exits non-zero when a test failed or none ran.
// A test file that fails to load counts as a failure even though it holds no test.
import { readFileSync } from 'node:fs';

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const passed = r.numPassedTests ?? 0;
const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
const failed = (r.numFailedTests ?? 0) + brokenFiles;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
