// mocha's spec reporter plus plain closing lines that CI systems and the GPU
// script's summary read without knowing mocha: "tests: N passed, N failed,
// N skipped", then one "failed: <full title>: <first line of the error>" per
// failure (so a summary names what failed even when the log does not come back).
'use strict';
const Mocha = require('mocha');

function firstLine(err) {
  const text = err && err.message !== undefined ? String(err.message) : String(err);
  return (text.split('\n').find((l) => l.trim() !== '') || '').trim().slice(0, 300);
}

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on('fail', (test, err) => failures.push(`failed: ${test.fullTitle()}: ${firstLine(err)}`));
    runner.once('end', () => {
      const s = runner.stats;
      process.stdout.write(`\ntests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
      for (const f of failures) process.stdout.write(`${f}\n`);
    });
  }
}

module.exports = SpecWithSummary;
