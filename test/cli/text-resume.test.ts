// `selfsup train bert|albert|clip --resume` and `selfsup eval` of their runs:
// a run stopped after step 3 (as Ctrl-C stops it) and resumed through the
// real command line gives the same loss at every step and the same final
// weights as an uninterrupted run (BERT: dropout, masking, pair order and
// AdamW state in play; CLIP: the caption draws, the batch order across an
// epoch boundary, AdamW and the clamped logit scale); `--checkpoint-every`
// writes checkpoints at its steps; `selfsup eval` of a finished (or resumed)
// run reproduces the table its training printed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { program } from '../../lib/cli/main';
import { runTextTrain, textResumeConfig, textRunConfig } from '../../lib/cli/text-train';
import { runTextEval } from '../../lib/cli/text-eval';
import { TextRunConfig } from '../../lib/cli/text-run-config';
import { TextCheckpointState } from '../../lib/train/text-checkpoint';
import { loadSafetensors } from '../../lib/torch/safetensors';

const TINY = { hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 };
const quiet = { log: () => undefined, print: () => undefined };

/** Runs `selfsup train <args>` through the real program, its output silenced. */
async function cli(args: string[]): Promise<void> {
  const write = process.stderr.write;
  const stdout = process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program().exitOverride().parseAsync(['node', 'selfsup', 'train', ...args]);
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdout;
  }
}

/**
 * Trains run `b` (6 steps, a checkpoint every 2) until step 3, as Ctrl-C stops it, checks what it left
 * (`inspect` looks further), resumes it with `selfsup train <method> --resume`, and checks that it ends as
 * the uninterrupted run `a` did: the loss of every step and the bytes of model.safetensors.
 */
async function stopAndResume(a: TextRunConfig, b: TextRunConfig, losses: number[], inspect?: () => void): Promise<void> {
  const controller = new AbortController();
  const stopped = await runTextTrain(b, { ...quiet, logEvery: 1, signal: controller.signal,
    log: (l) => { if (l.startsWith('step 3/6')) controller.abort(); } });
  assert.equal(stopped.interrupted, true);
  assert.equal(stopped.steps, 3);
  assert.deepEqual(stopped.losses, losses.slice(0, 3));
  assert.ok(!fs.existsSync(path.join(b.out, 'model.safetensors')), 'an interrupted run writes no final model');
  assert.deepEqual(fs.readdirSync(path.join(b.out, 'checkpoints')).filter((f) => f.endsWith('.json')).sort(),
    ['step-00000002.json', 'step-00000003.json']);
  inspect?.();
  await assert.rejects(runTextTrain(b, quiet), /already holds a run with checkpoints: resume it/);

  await cli([b.method, '--resume', b.out]);
  const resumed = JSON.parse(fs.readFileSync(path.join(b.out, 'eval.json'), 'utf8')) as { losses: number[]; steps: number };
  assert.equal(resumed.steps, 6);
  assert.deepEqual(resumed.losses, losses, 'the loss of every step');
  assert.ok(fs.readFileSync(path.join(b.out, 'model.safetensors')).equals(fs.readFileSync(path.join(a.out, 'model.safetensors'))),
    'the final weights (clip: logit_scale included)');
}

describe('cli: bert/albert/clip runs resume exactly and evaluate again', function () {
  this.timeout(600000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-resume-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (name: string, extra: Partial<TextRunConfig> = {}): TextRunConfig =>
    ({ ...textRunConfig('bert', { steps: 6, batchSize: 4, out: path.join(dir, name), eval: false, checkpointEvery: 2 }),
      methodOptions: TINY, ...extra });

  it('a run stopped after step 3 and resumed (selfsup train bert --resume) equals an uninterrupted one; eval recomputes its table', async () => {
    const a = config('a', { eval: true });
    const full = await runTextTrain(a, quiet);
    assert.equal((full.losses as number[]).length, 6);
    // --checkpoint-every 2: steps 2, 4 and 6 were saved, the newest two kept.
    assert.deepEqual(fs.readdirSync(path.join(a.out, 'checkpoints')).sort(),
      ['step-00000004.json', 'step-00000004.safetensors', 'step-00000006.json', 'step-00000006.safetensors']);

    await stopAndResume(a, config('b'), full.losses as number[]);

    // selfsup eval of the finished run: the same table as its training printed.
    const printed: string[] = [];
    const again = await runTextEval(a.out, { log: () => undefined, print: (t) => printed.push(t) });
    assert.deepEqual(again.eval, full.eval);
    assert.match(printed.join(''), /MLM acc +perplexity +NSP acc[\s\S]*bert, 6 steps[\s\S]*fortune category probe[\s\S]*majority class.*\nbag of words +\d+\.\d +\d+\.\d\nrandom init/);
    const probe = (full.eval as { probe: { bagOfWords: number; randomInit: { majority: number } } }).probe;
    assert.ok(probe.bagOfWords > probe.randomInit.majority, `bag of words ${probe.bagOfWords} above the majority class`);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(a.out, 'eval.json'), 'utf8')).losses, full.losses, 'eval keeps the record');
    await assert.rejects(program().exitOverride().parseAsync(['node', 'selfsup', 'eval', a.out, '--knn', '--train-subset', '5']),
      /selfsup eval of a bert, albert or clip run recomputes the run's own table; drop --knn --train-subset$/);
  });

  it('--resume refuses what does not fit, by name', async () => {
    const c = config('c', { steps: 2 });
    await runTextTrain(c, quiet);
    assert.throws(() => textResumeConfig(undefined, { resume: c.out, steps: 9, eval: true }),
      /--resume continues a run with its own config.json; drop --steps/);
    assert.throws(() => textResumeConfig('albert', { resume: c.out, eval: true }), /it is a bert run; drop 'albert'/);
    assert.throws(() => textResumeConfig(undefined, { resume: path.join(dir, 'none'), eval: true }), /not a run folder of selfsup train bert\|albert/);
    assert.equal(textResumeConfig('bert', { resume: c.out, eval: false }).eval, false);
    fs.rmSync(path.join(c.out, 'checkpoints'), { recursive: true });
    await assert.rejects(runTextTrain(textResumeConfig(undefined, { resume: c.out, eval: false }), { ...quiet, resume: true }),
      /holds no checkpoint/);
    // A clip run folder without checkpoints (as older versions wrote them) is refused by the same rule.
    const clip = path.join(dir, 'clip-old');
    fs.mkdirSync(clip);
    fs.writeFileSync(path.join(clip, 'config.json'), JSON.stringify({ config: { ...textRunConfig('clip', { eval: true }), out: clip } }));
    await assert.rejects(cli(['--resume', clip]), /holds no checkpoint/);
    assert.throws(() => textResumeConfig('bert', { resume: clip, eval: true }), /it is a clip run; drop 'bert'/);
  });

  /** Trains clip runs `a` (6 steps) and `b` (stopped after step 3, resumed through `selfsup train clip --resume`); returns a's report. */
  async function stopAndResumeClip(name: string, flags: { data?: string; batchSize: number }, evaluate: boolean): Promise<{
    full: Record<string, unknown>; a: TextRunConfig; b: TextRunConfig; }> {
    const config = (run: string, e: boolean): TextRunConfig =>
      textRunConfig('clip', { ...flags, steps: 6, out: path.join(dir, `${name}-${run}`), eval: e, checkpointEvery: 2 });
    const a = config('a', evaluate);
    const full = await runTextTrain(a, quiet);
    assert.equal((full.losses as number[]).length, 6);
    assert.deepEqual(fs.readdirSync(path.join(a.out, 'checkpoints')).filter((f) => f.endsWith('.json')).sort(),
      ['step-00000004.json', 'step-00000006.json']);

    const b = config('b', false);
    await stopAndResume(a, b, full.losses as number[], () => {
      const saved = JSON.parse(fs.readFileSync(path.join(b.out, 'checkpoints', 'step-00000003.json'), 'utf8')) as TextCheckpointState;
      assert.equal(saved.method, 'clip');
      const tensors = loadSafetensors(path.join(b.out, 'checkpoints', 'step-00000003.safetensors'));
      assert.ok(tensors.has('model.logit_scale') && [...tensors.keys()].some((k) => k.startsWith('optimizer.')), [...tensors.keys()].join(' '));
      tensors.forEach((t) => t.dispose());
    });
    return { full, a, b };
  }

  it('clip on Fashion-MNIST captions: stopped after step 3 and resumed (selfsup train clip --resume) equals an uninterrupted run', async () => {
    await stopAndResumeClip('fashion', { batchSize: 8 }, false);
  });

  it('clip --data scenes:20 (two batches an epoch: the resume falls mid-epoch 2) resumes exactly; selfsup eval of the resumed run gives the table of the uninterrupted one', async () => {
    const { full, b } = await stopAndResumeClip('scenes', { data: 'scenes:20', batchSize: 8 }, true);
    const printed: string[] = [];
    const again = await runTextEval(b.out, { log: () => undefined, print: (t) => printed.push(t) });
    assert.deepEqual(again.eval, full.eval);
    assert.match(printed.join(''), /seen combinations +held-out combinations[\s\S]*clip, 6 steps/);
    assert.deepEqual(again.losses, full.losses, 'eval keeps the record');
  });
});
