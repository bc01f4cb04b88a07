#!/usr/bin/env node
// `npm run mutate -- <target> [...]`: StrykerJS mutation testing of one target
// at a time. A target is a named glue module (what carries an option from
// where a user sets it to where it acts, with the test files that check it)
// or a folder of lib/ (`lib/optim`: its sources against test/optim). Not part
// of `npm test` or CI: a target takes minutes to an hour on 2 cores.
//
// Stryker mutates the TypeScript sources in a sandbox copy, compiles the copy
// once (`tsc`, the buildCommand) and runs only the target's compiled test
// files with the mocha runner, per test (coverageAnalysis perTest). Results:
// reports/mutation/<target>/index.html and mutation.json, and a summary per
// file (score, survivors with line and replacement) printed at the end, which
// is what docs/testing.md records. Why TypeScript sources and no type checker:
// docs/testing.md ("Mutation testing").
//
// Nested folders (checked 2026-12-05 for lib/ssl/pretext): `lib/ssl/pretext` is a folder target like any other,
// its sources against test/ssl/pretext, reported in reports/mutation/lib-ssl-pretext; its files
// (`lib/ssl/pretext/ab-bins.ts,...`) run against test/ssl/pretext too. A folder's target includes its subfolders
// (`lib/ssl` mutates lib/ssl/pretext as well, against every test of test/ssl): to score a folder without a
// subfolder, name its files. Tests load once per Stryker worker and every mutant runs in that process, so a
// module-level cache filled by an earlier run answers later ones (docs/testing.md, "Module state").
//
// Usage:
//   npm run mutate -- --list
//   npm run mutate -- cli                  (nice it on a shared machine: nice -n 19 npm run mutate -- cli)
//   npm run mutate -- lib/optim --concurrency 2
//   npm run mutate -- lib/optim/sgd.ts,lib/optim/lamb.ts --incremental   (files of a folder, against its tests)
//   npm run mutate -- lib/eval --tests test/eval/refusals.test.ts,test/eval/option-reach.test.ts
//                                          (only those tests: a lower bound of the score, for slow test folders)
//   npm run mutate -- lib/ssl/pretext --tests test/ssl/pretext/ab-bins-values.test.ts,...   (a nested folder)
//   npm run mutate -- lib/train/data-parallel.ts --tests test/train/distributed-trainer.test.ts --all-tests
//                                          (code only child processes run: every mutant runs every named test, and
//                                          the children run it too, test/helpers/mutant-env.ts; static mutants count too:
//                                          Stryker finds them through per-test coverage only)
//   npm run mutate -- lib/train/trainer.ts:121-130,lib/train/trainer.ts:360-367 --tests ... --all-tests
//                                          (only those lines: a file's rank-only branches without running its other
//                                          mutants against the rank tests)
//   npm run mutate -- --summary cli        (print the summary of the last run again)
'use strict';

const crypto = require('node:crypto');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * The lines of `file` from the line matching `start` to the end of that block
 * (the next line holding only `}` at the start line's indentation): the
 * `file:from-to` range Stryker's `mutate` takes.
 */
function span(file, start) {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const from = lines.findIndex((l) => start.test(l));
  if (from < 0) throw new Error(`mutate: no line matching ${start} in ${file} (the target table in scripts/mutate.js is stale)`);
  const indent = /^\s*/.exec(lines[from])[0];
  const to = lines.findIndex((l, i) => i > from && (l === `${indent}}` || l === `${indent}};`));
  if (to < 0) throw new Error(`mutate: no end of the block at ${file}:${from + 1}`);
  return `${file}:${from + 1}-${to + 1}`;
}

/** The named targets: sources (files or spans) and the compiled test files that check them. */
const TARGETS = {
  cli: {
    about: 'CLI flags -> resolved config: option parsers, run-config checks, resolveRunConfig, the train/eval flag definitions',
    mutate: () => [
      'lib/cli/option-parsers.ts',
      span('lib/cli/run-config.ts', /^export function checkRunConfig/),
      span('lib/cli/train.ts', /^function methodDefaults/),
      span('lib/cli/train.ts', /^export function resolveRunConfig/),
      span('lib/cli/train.ts', /^export function registerTrain/),
      span('lib/cli/eval.ts', /^export function evalCommandOptions/),
      span('lib/cli/eval.ts', /^export function registerEval/),
    ],
    tests: ['test/cli/flag-reach.test.ts', 'test/cli/help.test.ts'],
  },
  trainer: {
    about: 'Trainer options -> the step: option resolution, optimizer setup and schedules, the optimisation step, the step engine',
    mutate: () => [
      'lib/train/options.ts',
      'lib/train/optimizer-setup.ts',
      'lib/train/optimization-step.ts',
      'lib/train/step-engine.ts',
    ],
    tests: ['test/train/trainer-options.test.ts', 'test/train/optimizer-setup.test.ts', 'test/train/trainer-option-refusals.test.ts',
      'test/train/step-engine.test.ts'],
  },
  'eval-report': {
    about: 'the evaluation report: every number from the function it comes from, on the right features',
    // The report's glue: argument checks and defaults (planEvaluation), the rows (evaluateRow), their assembly.
    mutate: () => [
      span('lib/eval/report.ts', /^function percent/),
      span('lib/eval/report.ts', /^function checkLabelled/),
      span('lib/eval/report.ts', /^export async function evaluateEncoder/),
      span('lib/eval/report.ts', /^function planEvaluation/),
      span('lib/eval/report.ts', /^function evaluateRow/),
    ],
    tests: ['test/eval/report.test.ts'],
  },
  'method-options': {
    about: 'method options -> losses and updates: the shared option checks and the options of SimCLR, MAE, DINO, BYOL',
    mutate: () => [
      'lib/ssl/method-options.ts',
      'lib/torch/option-table.ts',
      span('lib/ssl/simclr.ts', /^ {2}constructor\(/),
      span('lib/ssl/simclr.ts', /^ {2}trainingStep\(/),
      span('lib/ssl/mae.ts', /^ {2}constructor\(/),
      span('lib/ssl/mae.ts', /^ {2}trainingStep\(/),
      span('lib/ssl/dino.ts', /^ {2}constructor\(/),
      span('lib/ssl/dino.ts', /^ {2}override afterOptimizerStep\(/),
      span('lib/ssl/byol.ts', /^ {2}override afterOptimizerStep\(/),
    ],
    // option-table and method-config test the shared table (resolve, toJSON, checkOptionKeys) and config() directly.
    tests: ['test/ssl/method-option-reach.test.ts', 'test/ssl/method-option-refusals.test.ts', 'test/ssl/step-values.test.ts',
      'test/ssl/method-config.test.ts', 'test/torch/option-table.test.ts'],
  },
};

/** A folder of lib/ as a target: all its sources against the test folder that mirrors it. */
function folderTarget(folder) {
  const rel = folder.replace(/\/+$/, '');
  if (!/^lib\/[\w/-]+$/.test(rel) || !fs.statSync(path.join(ROOT, rel), { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`mutate: unknown target '${folder}'; expected one of ${Object.keys(TARGETS).join(', ')}, a folder such as lib/optim ` +
      'or files of one folder such as lib/optim/sgd.ts,lib/optim/lamb.ts');
  }
  const testDir = `test/${rel.slice('lib/'.length)}`;
  return { about: `${rel}/**/*.ts against ${testDir}`, mutate: () => [`${rel}/**/*.ts`], tests: [`${testDir}/**/*.test.ts`] };
}

/**
 * Files of one folder of lib/ (`lib/optim/sgd.ts,lib/optim/lamb.ts`) as a target: those sources against
 * every test of the folder's mirror, as in the folder's run, so that a file's score here adds up with the
 * folder's other files (re-scoring the files whose tests changed instead of the whole folder).
 */
function filesTarget(list) {
  const files = list.split(',').filter((f) => f !== '');
  const folders = new Set(files.map((f) => path.posix.dirname(f)));
  for (const f of files) {
    // `file.ts:from-to` (Stryker's line range): only those lines, e.g. the rank-only lines of a file for an --all-tests run.
    const [file, range] = f.split(':');
    if (!/^lib\/[\w/-]+\.ts$/.test(file) || !fs.existsSync(path.join(ROOT, file)) || (range !== undefined && !/^\d+-\d+$/.test(range))) {
      throw new Error(`mutate: unknown source '${f}'; expected a file of lib/ such as lib/optim/sgd.ts (or lib/optim/sgd.ts:10-20)`);
    }
  }
  if (folders.size !== 1) throw new Error(`mutate: expected files of one folder but received ${[...folders].join(', ')}`);
  const folder = [...folders][0];
  return { ...folderTarget(folder), about: `${files.join(', ')} against test/${folder.slice('lib/'.length)}`, mutate: () => files };
}

/**
 * `target` against only `tests` (`--tests a.test.ts,b.test.ts`, paths under test/): for a folder whose full
 * tests are too slow to run per mutant here (the Python references of test/data/transforms), the fast
 * value and refusal tests alone. The score is then a lower bound of the full run's: more tests can only
 * kill more mutants.
 */
function withTests(target, list) {
  const tests = list.split(',').filter((t) => t !== '');
  for (const t of tests) {
    if (!/^test\/[\w/.-]+\.test\.ts$/.test(t) || !fs.existsSync(path.join(ROOT, t))) {
      throw new Error(`mutate: unknown test file '${t}' for --tests; expected a file such as test/optim/refusals.test.ts`);
    }
  }
  if (tests.length === 0) throw new Error('mutate: expected at least one test file after --tests');
  return { ...target, about: `${target.about} (only ${tests.join(', ')})`, tests };
}

function targetOf(name) {
  if (Object.prototype.hasOwnProperty.call(TARGETS, name)) return TARGETS[name];
  return /\.ts(:[^,]*)?(,|$)/.test(name) ? filesTarget(name) : folderTarget(name);
}

/** The report folder of a target: reports/mutation/lib-optim, reports/mutation/lib-optim-sgd.ts+lamb.ts, ... */
function reportDir(name) {
  const files = name.split(',');
  const short = files.length > 1 ? [files[0], ...files.slice(1).map((f) => path.posix.basename(f))].join('+') : name;
  const flat = short.replace(/\//g, '-');
  // Many line ranges make a name longer than a file name may be (255 bytes): its start and a hash of the whole.
  const tag = flat.length <= 120 ? flat
    : `${flat.slice(0, 100)}-${crypto.createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
  return path.join(ROOT, 'reports', 'mutation', tag);
}

/** The compiled path of a test source (Stryker's sandbox compiles into dist/). */
const compiled = (t) => `dist/${t.replace(/\.ts$/, '.js')}`;

/**
 * The target's mocha options and Stryker config (written by writeConfig): `allTests` turns per-test coverage off,
 * so each mutant runs every named test, and the mocha config always forwards the active mutant to child processes.
 */
function configOf(name, target, { concurrency, incremental, allTests }) {
  const dir = reportDir(name);
  const mocharc = path.join(dir, 'mocharc.json');
  const mocha = {
    spec: target.tests.map(compiled), require: ['dist/test/helpers/temp-root.js', 'dist/test/helpers/mutant-env.js'],
    timeout: 120000,
  };
  const config = {
    $schema: '../../../node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    packageManager: 'npm',
    testRunner: 'mocha',
    plugins: ['@stryker-mutator/mocha-runner'],
    mochaOptions: { config: mocharc, spec: target.tests.map(compiled) },
    // NOTE: the sandbox is compiled once; mutants are switched at run time, so one build serves them all.
    buildCommand: 'npx tsc -p .',
    mutate: target.mutate(),
    // --all-tests: every mutant runs every named test (coverage 'off'). Code that only child processes run (ranks,
    // the CLI started as a process) is covered by no test of the Stryker process, so perTest would mark it NoCoverage
    // without running it; the children run the active mutant through __STRYKER_ACTIVE_MUTANT__
    // (test/helpers/mutant-env.ts). Slower: name only the tests that start those processes.
    coverageAnalysis: allTests ? 'off' : 'perTest',
    // Module-level code (constants, frozen recipes) runs once per process: a mutant there needs a fresh process per test run.
    // Stryker refuses ignoreStatic without perTest coverage (it finds static mutants through coverage), so an --all-tests
    // run scores them too: the children it exists for load the module afresh with the mutant on.
    ignoreStatic: !allTests,
    testRunnerNodeArgs: ['--expose-gc'],
    concurrency,
    timeoutMS: 30000,
    ignorePatterns: ['dist', 'reports', 'runs', 'prebuilds', 'out-cuda', 'test-artifacts', '.carry', '.out', 'docs/runs'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    reporters: ['progress-append-only', 'clear-text', 'html', 'json'],
    htmlReporter: { fileName: path.relative(ROOT, path.join(dir, 'index.html')) },
    jsonReporter: { fileName: path.relative(ROOT, path.join(dir, 'mutation.json')) },
    // --incremental: mutants whose code and covering tests did not change since the last incremental run of
    // this target keep their result (Stryker's incremental mode); the first such run tests every mutant.
    incremental,
    incrementalFile: path.relative(ROOT, path.join(dir, 'stryker-incremental.json')),
    clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  };
  return { mocharc, mocha, config };
}

/** Writes the target's Stryker and mocha configs under reports/mutation/<target>/ and returns the Stryker one. */
function writeConfig(name, target, options) {
  const { mocharc, mocha, config } = configOf(name, target, options);
  fs.mkdirSync(path.dirname(mocharc), { recursive: true });
  fs.writeFileSync(mocharc, `${JSON.stringify(mocha, null, 2)}\n`);
  const file = path.join(path.dirname(mocharc), 'stryker.config.json');
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** Per file: killed, survived, no coverage, timeout, score; and every survivor (line: mutator, replacement). */
function summary(name) {
  const file = path.join(reportDir(name), 'mutation.json');
  if (!fs.existsSync(file)) throw new Error(`mutate: no report at ${file}: run 'npm run mutate -- ${name}' first`);
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const mocharc = path.join(reportDir(name), 'mocharc.json');
  const tests = fs.existsSync(mocharc) ? JSON.parse(fs.readFileSync(mocharc, 'utf8')).spec : [];
  const out = [`Mutation score of '${name}' (${new Date(fs.statSync(file).mtime).toISOString().slice(0, 10)}), ` +
    `against ${tests.join(', ')}:`, '',
    '| file | killed | timeout | survived | no coverage | score |', '| --- | --- | --- | --- | --- | --- |'];
  const survivors = [];
  const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
  for (const [f, r] of Object.entries(report.files)) {
    const n = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
    for (const m of r.mutants) {
      if (n[m.status] === undefined) continue; // CompileError, RuntimeError, Ignored: not in the score
      n[m.status]++;
      total[m.status]++;
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        const line = r.source.split('\n')[m.location.start.line - 1].trim();
        // The mutated expression itself: a line can hold several (`a === undefined || !b` is mutated as a whole and
        // in parts, each replaced by `false`), and only the span says which one survived.
        const span = mutatedText(r.source, m.location).replace(/\s+/g, ' ');
        survivors.push(`- ${f}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} (${m.status}): ` +
          `\`${span.slice(0, 60)}\` -> \`${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}\` in \`${line.slice(0, 100)}\``);
      }
    }
    out.push(`| ${f} | ${n.Killed} | ${n.Timeout} | ${n.Survived} | ${n.NoCoverage} | ${score(n)} |`);
  }
  out.push(`| all | ${total.Killed} | ${total.Timeout} | ${total.Survived} | ${total.NoCoverage} | ${score(total)} |`, '',
    survivors.length === 0 ? 'No survivors.' : 'Survivors:', ...survivors);
  return out.join('\n');
}

/** The source text of a mutant's location (lines and columns 1-based, end column exclusive, as in mutation.json). */
function mutatedText(source, { start, end }) {
  const lines = source.split('\n').slice(start.line - 1, end.line);
  if (lines.length === 1) return lines[0].slice(start.column - 1, end.column - 1);
  lines[0] = lines[0].slice(start.column - 1);
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, end.column - 1);
  return lines.join('\n');
}

function score(n) {
  const all = n.Killed + n.Timeout + n.Survived + n.NoCoverage;
  return all === 0 ? '-' : `${((100 * (n.Killed + n.Timeout)) / all).toFixed(1)}%`;
}

function main(argv) {
  const args = argv.slice(2);
  if (args.length === 0 || args.includes('--help')) {
    process.stdout.write('usage: npm run mutate -- <target> [--concurrency N] [--incremental] [--tests a.test.ts,...] [--all-tests] | --list | ' +
      '--summary <target>\n');
    return args.length === 0 ? 1 : 0;
  }
  if (args[0] === '--list') {
    for (const [name, t] of Object.entries(TARGETS)) process.stdout.write(`${name.padEnd(16)}${t.about}\n`);
    process.stdout.write(`${'lib/<folder>'.padEnd(16)}every source of the folder against test/<folder>\n`);
    process.stdout.write(`${'lib/<f>/<x>.ts'.padEnd(16)}those files (comma-separated) of one folder against test/<folder> (to re-score files)\n`);
    return 0;
  }
  if (args[0] === '--summary') {
    process.stdout.write(`${summary(args[1])}\n`);
    return 0;
  }
  const name = args[0];
  const at = args.indexOf('--concurrency');
  const concurrency = at < 0 ? 1 : Number(args[at + 1]);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`mutate: expected a positive integer for --concurrency but received ${args[at + 1]}`);
  const only = args.indexOf('--tests');
  const target = only < 0 ? targetOf(name) : withTests(targetOf(name), args[only + 1] ?? '');
  const config = writeConfig(name, target,
    { concurrency, incremental: args.includes('--incremental'), allTests: args.includes('--all-tests') });
  // STRYKER_BIN: a Stryker installed elsewhere (`npm install --prefix DIR @stryker-mutator/core
  // @stryker-mutator/mocha-runner`), for a checkout whose shared node_modules lacks the devDependencies.
  const stryker = process.env.STRYKER_BIN ?? path.join(ROOT, 'node_modules', '.bin', 'stryker');
  if (!fs.existsSync(stryker)) {
    throw new Error(`mutate: no Stryker at ${stryker}: run 'npm install' (it is a devDependency) or set STRYKER_BIN`);
  }
  // One libtorch thread per test process: the workers share the machine's cores.
  const r = childProcess.spawnSync(stryker, ['run', config], {
    cwd: ROOT, stdio: 'inherit', env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '1' },
  });
  if (r.error) throw r.error;
  if (r.status === 0) process.stdout.write(`\n${summary(name)}\n`);
  return r.status ?? 1;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  }
}

module.exports = { TARGETS, span, summary, targetOf, withTests, reportDir, mutatedText, configOf };
