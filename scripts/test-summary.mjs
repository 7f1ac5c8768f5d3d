// Prints vitest's JSON results as one plain line: "N passed, N failed, N skipped", after one line per failed test
// (its file, its name and the first line of its failure), so the end of a CI log names what failed.
import fs from 'node:fs';
import path from 'node:path';

const file = process.argv[2] ?? 'test-results/vitest.json';
if (!fs.existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`test-summary: ${file} not found (did vitest run?)`);
  process.exit(1);
}
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
for (const suite of r.testResults ?? []) {
  const where = path.relative(process.cwd(), suite.name ?? '');
  const failed = (suite.assertionResults ?? []).filter((test) => test.status === 'failed');
  for (const test of failed) {
    const reason = String(test.failureMessages?.[0] ?? '').split('\n')[0];
    console.log(`FAILED ${where} > ${test.fullName ?? test.title}: ${reason.slice(0, 300)}`);
  }
  // A file that failed to load or crashed has no failed test to name: say so.
  if (suite.status === 'failed' && failed.length === 0) {
    console.log(
      `FAILED ${where}: ${String(suite.message ?? '')
        .split('\n')[0]
        .slice(0, 300)}`,
    );
  }
}
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(r.numFailedTests > 0 || r.success === false ? 1 : 0);
