// Records a `selfsup train` run for the README's figures: runs the command in
// a temporary folder, then writes docs/runs/<name>/ with the run's eval.json
// and config.json and a run.json of what the README quotes (wall time,
// training time and speed, evaluation time, the online k-NN, the machine's
// load before and after, threads). Not a test: a recording takes minutes.
//
//   node dist/scripts/record-run.js <name> [train arguments...]
//   node dist/scripts/record-run.js simsiam simsiam
//   node dist/scripts/record-run.js main-job
//
// The load average goes into run.json because this VM is shared: a figure
// taken at load 16 and one taken idle differ 6x in wall time, not in
// accuracy (the runs are seeded and deterministic for one thread count).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../lib/torch/atomic-file';
import { defaultThreads, waitPolicyFor } from '../lib/torch/threads';

const root = path.join(__dirname, '..', '..');

interface EvalFile { rows: { name: string; seconds: number }[] }

/** "Trained 5622 steps in 286 s (1259 images/s)" -> its three numbers. */
function trainedLine(log: string): { steps: number; seconds: number; imagesPerSecond: number } {
  const m = /Trained (\d+) steps in ([\d.]+) s \(([\d.]+) images\/s\)/.exec(log);
  if (!m) throw new Error('the run printed no "Trained N steps in S s (R images/s)" line: did it fail?');
  return { steps: Number(m[1]), seconds: Number(m[2]), imagesPerSecond: Number(m[3]) };
}

/** Online k-NN lines "k-NN top-1 at step S (epoch E): (k=20) 80.05%" -> { E: 0.8005 }. */
function onlineKnn(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of log.matchAll(/k-NN top-1 at step \d+ \(epoch (\d+)\): \(k=\d+\) ([\d.]+)%/g)) {
    out[m[1]] = Number((Number(m[2]) / 100).toFixed(4));
  }
  return out;
}

/** GNU time's "%U %S %M" line -> CPU seconds and peak resident memory. */
function cpuUse(text: string): { userSeconds: number; systemSeconds: number; maxResidentMB: number } {
  const [user, system, kb] = text.trim().split('\n').pop()!.split(' ').map(Number);
  return { userSeconds: user, systemSeconds: system, maxResidentMB: Math.round(kb / 1024) };
}

function gitCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', 'lib'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  return `${r.stdout.trim()}${dirty ? ' (lib/ modified)' : ''}`;
}

function main(): void {
  const [name, ...trainArgs] = process.argv.slice(2);
  if (!name || !/^[a-z0-9_-]+$/.test(name)) {
    throw new Error('Usage: record-run.js <name (lowercase letters, digits, - or _)> [selfsup train arguments...]');
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `selfsup-record-${name}-`));
  try {
    const args = [path.join(root, 'bin', 'selfsup.js'), 'train', ...trainArgs, '--out', out, '--progress', 'lines'];
    const commit = gitCommit();
    const threads = defaultThreads();
    const loadStart = os.loadavg().map((v) => Number(v.toFixed(2)));
    const t0 = process.hrtime.bigint();
    // Under GNU time when the machine has it: the run's CPU seconds say what it
    // would take on idle cores when the shared VM was loaded, and its peak
    // resident memory is what issue 22 bounds (2 GB).
    const timeFile = path.join(out, 'time.txt');
    const timed = fs.existsSync('/usr/bin/time');
    const r = timed
      ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, process.execPath, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
      : spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
    const wallSeconds = Math.round(Number(process.hrtime.bigint() - t0) / 1e9);
    const loadEnd = os.loadavg().map((v) => Number(v.toFixed(2)));
    const log = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`selfsup train exited with ${r.status}:\n${log.slice(-4000)}`);
    const dir = path.join(root, 'docs', 'runs', name);
    fs.mkdirSync(dir, { recursive: true });
    const evalText = fs.readFileSync(path.join(out, 'eval.json'), 'utf8');
    const ev = JSON.parse(evalText) as EvalFile;
    const trained = trainedLine(log);
    const run = {
      command: `node bin/selfsup.js train ${trainArgs.join(' ')} --out <tmp folder> --progress lines`.replace(/ +/g, ' '),
      date: new Date().toISOString().slice(0, 10),
      commit,
      machine: `${os.cpus().length}-vCPU ${os.type()} ${os.release()}; load average [1, 5, 15 min] at start and end below`,
      loadAverage: { start: loadStart, end: loadEnd },
      threads: `${threads.count} intra-op (${threads.detail}), OpenMP wait policy ${waitPolicyFor(process.env).value}`,
      wallSeconds,
      trainingSeconds: Math.round(trained.seconds),
      steps: trained.steps,
      imagesPerSecond: trained.imagesPerSecond,
      evaluationSeconds: Number(ev.rows.reduce((s, row) => s + row.seconds, 0).toFixed(1)),
      onlineKnn: onlineKnn(log),
      ...(timed ? { cpu: cpuUse(fs.readFileSync(timeFile, 'utf8')) } : {}),
    };
    writeFileAtomic(path.join(dir, 'eval.json'), evalText);
    writeFileAtomic(path.join(dir, 'config.json'), fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    writeFileAtomic(path.join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    writeFileAtomic(path.join(dir, 'train.log'), log.split('\n').filter((l) => !/^epoch \d+\/\d+ step /.test(l)).join('\n'));
    console.log(`recorded ${name}: ${wallSeconds} s wall; ${dir}`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

main();
