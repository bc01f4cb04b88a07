// text-train.ts by value, fast (issue 21, lib/cli's mutation score, third pass): a CLIP run on a 20-pair caption
// file (1 to 2 steps, no evaluation): Ctrl-C during a step (its log line, the stop after that step, the SIGINT
// listener removed), the default log and print on stderr and stdout, a run into an existing folder without
// checkpoints, logEvery refused by name; textRunConfig's --data patterns and flags by exact message.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { runTextTrain, textResumeConfig, textRunConfig } from '../../lib/cli/text-train';
import { messageOf } from '../helpers/refuses';
import * as torch from '../../lib/torch';
import { buildClip, disposeClipData, formatClipReport, loadClipData } from '../../lib/cli/clip-run';
import { captured } from '../helpers/captured-output';
import { settledTensorCount } from '../helpers/tensors-left';

/** Live tensors `fn` leaves behind. */
async function leftBy(fn: () => unknown): Promise<number> {
  // Settled first: garbage of earlier tests finalized during the awaits would make the count drop (-110 in sid).
  const before = await settledTensorCount();
  await fn();
  return torch.memory().tensors - before;
}

const NOW = new Date('2026-12-05T23:30:00Z');
const REFUSAL_TAIL = ' (its data, encoders and training loop are fixed; clip also takes --data captions:<file.jsonl|file.csv>); ' +
  'it takes --steps, --batch-size, --lr, --optimizer, --seed, --out, --no-eval, --method-options, --checkpoint-every and --resume';
const SCENES = 'Expected --data scenes or scenes:<n> (n training scenes, a positive integer) but received ';

describe('cli: text-train by value (Ctrl-C, default writers, folders, --data patterns)', function () {
  this.timeout(60000);
  let dir = '';
  let captions = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-train-values-'));
    fs.mkdirSync(path.join(dir, 'img'));
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) {
      const v = (i * 41) % 256;
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: v, g: 255 - v, b: (v * 5) % 256 } } }).png()
        .toFile(path.join(dir, 'img', `${i}.png`));
      lines.push(JSON.stringify({ image: `img/${i}.png`, caption: `square ${i % 3} number ${i}` }));
    }
    captions = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(captions, `${lines.join('\n')}\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const clip = (out: string, steps: number) => textRunConfig('clip', { data: `captions:${captions}`, imageSize: 8, steps, batchSize: 4, out,
    eval: false, checkpointEvery: 0 }, NOW);

  it('Ctrl-C during step 1: the log line, a checkpoint after that step, the listener removed', async () => {
    const out = path.join(dir, 'sigint');
    const listeners = process.listenerCount('SIGINT');
    const lines: string[] = [];
    const report = await runTextTrain(clip(out, 3), { logEvery: 1, print: () => undefined,
      log: (l) => { lines.push(l); if (l.startsWith('step 1/3')) process.emit('SIGINT'); } });
    assert.equal(process.listenerCount('SIGINT'), listeners);
    assert.deepEqual([report.interrupted, report.steps], [true, 1]);
    assert.deepEqual(lines.slice(-2), ['Stopping after this step with a checkpoint (Ctrl-C again to quit now)',
      `Interrupted after step 1: resume with  selfsup train --resume ${out}`]);
    assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).sort(), ['step-00000001.json', 'step-00000001.safetensors']);
  });

  it('the default log and print: stderr and stdout; a run into an existing folder without checkpoints', async () => {
    const out = path.join(dir, 'existing');
    fs.mkdirSync(out);
    const { stderr, stdout } = await captured(() => runTextTrain(clip(out, 1), { logEvery: 1 }));
    const lines = stderr.split('\n');
    assert.match(lines[0], /^Training clip \(small_cnn \+ [\d,]+-parameter text encoder\) on pairs\.jsonl: 18 training pairs, 2 held out for 1 steps of 4; /);
    assert.match(lines[1], /^step 1\/1 /);
    assert.equal(lines[lines.length - 1], '');
    assert.equal(stdout, '', '--no-eval prints nothing');
    assert.ok(fs.existsSync(path.join(out, 'model.safetensors')));
  });

  it('the table on stdout by default; a run frees its model and data (it leaves what building a CLIP leaves)', async () => {
    const write = process.stdout.write;
    let stdout = '';
    process.stdout.write = ((t: string) => { stdout += t; return true; }) as typeof process.stdout.write;
    let report: Record<string, unknown>;
    try {
      report = await runTextTrain({ ...clip(path.join(dir, 'printed'), 1), eval: true }, { log: () => undefined });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(stdout, `${formatClipReport(report.eval as Record<string, unknown>, 'clip, 1 steps')}(trained in ` +
      `${(report.seconds as number).toFixed(0)} s)\n`);
    const c = clip(path.join(dir, 'freed-1'), 1);
    const data = await loadClipData(c);
    const perBuild = await leftBy(() => buildClip(c, data.tokenizer.vocabSize, 3).dispose());
    disposeClipData(data);
    await runTextTrain(c, { log: () => undefined, print: () => undefined });
    const left = await leftBy(() => runTextTrain(clip(path.join(dir, 'freed-2'), 1), { log: () => undefined, print: () => undefined }));
    assert.equal(left, perBuild);
  });

  it('logEvery is refused by its name', async () => {
    assert.equal(await messageOf(() => runTextTrain(clip(path.join(dir, 'log-every'), 1), { logEvery: 0, log: () => undefined,
      print: () => undefined })), 'Expected positive integer for options.logEvery but received 0');
  });

  it('--data: scenes only at the start, digits of any length; flags that do not apply to a caption file or left undefined', async () => {
    const base = textRunConfig('clip', { eval: true }, NOW);
    assert.deepEqual(textRunConfig('clip', { eval: true, data: 'scenes:123' }, NOW), { ...base, data: 'scenes:123' });
    assert.equal(await messageOf(() => textRunConfig('clip', { eval: true, data: 'xscenes:3' }, NOW)), `--data does not apply to clip${REFUSAL_TAIL}`);
    assert.equal(await messageOf(() => textRunConfig('clip', { eval: true, data: 'scenes:xscenes:3' }, NOW)), `${SCENES}scenes:xscenes:3`);
    assert.equal(await messageOf(() => textRunConfig('clip', { eval: true, data: 'captions:a.jsonl', knnEvery: 1 }, NOW)),
      `--knn-every does not apply to clip${REFUSAL_TAIL}`);
    assert.deepEqual(textRunConfig('bert', { eval: true, knnEvery: undefined, imageSize: undefined }, NOW), textRunConfig('bert', { eval: true }, NOW));
    // --resume: flags given as undefined (a program, not commander) are no flags to drop.
    const run = path.join(dir, 'resume-undefined');
    fs.mkdirSync(run);
    const saved = textRunConfig('bert', { eval: true, steps: 4 }, NOW);
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ config: saved }));
    assert.deepEqual(textResumeConfig(undefined, { resume: run, eval: true, steps: undefined, lr: undefined }), { ...saved, out: run });
  });
});
