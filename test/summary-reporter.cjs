// Prints the plain summary line CI reads ("tests: N passed, N failed"), plus every suite that was
// skipped because a service (Postgres, NATS) was missing, so such skips are never silent.
const { readFileSync, existsSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');

const skipLog = join(tmpdir(), `sidekick-service-skips-${process.ppid}-${process.pid}.log`);

class SummaryReporter {
  onRunStart() {
    process.env.SIDEKICK_SKIP_LOG = skipLog;
    rmSync(skipLog, { force: true });
  }
  onRunComplete(_contexts, results) {
    if (existsSync(skipLog)) {
      const lines = [...new Set(readFileSync(skipLog, 'utf8').split('\n').filter(Boolean))];
      if (lines.length) {
        process.stdout.write('\nSKIPPED because a service is missing (install it to run them):\n');
        for (const l of lines) process.stdout.write(`  - ${l}\n`);
      }
      rmSync(skipLog, { force: true });
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
module.exports = SummaryReporter;
