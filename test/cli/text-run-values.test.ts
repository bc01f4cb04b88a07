// `selfsup train bert|albert|clip` by value, fast (issue 21, lib/cli's mutation score): every flag a text
// method takes lands in its TextRunConfig (and each default when it is left out), every refusal by its
// exact message, `--resume`'s config; then CLIP runs on a 24-pair caption file of 12 px squares (a second
// each): what a run writes (config.json, eval.json, checkpoints, the two newest kept), logs and prints, how
// a stopped run resumes, and `selfsup eval` of it; the CLIP table's exact text.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { runTextTrain, textDefaults, textResumeConfig, textRunConfig, TextTrainFlags } from '../../lib/cli/text-train';
import { runTextEval } from '../../lib/cli/text-eval';
import { buildClip, ClipScores, formatClipReport } from '../../lib/cli/clip-run';
import { TextRunConfig } from '../../lib/cli/text-run-config';
import { WordPieceTokenizer } from '../../lib/data/text';
import { ZERO_SHOT_TEMPLATES } from '../../lib/data/image-text';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';

const NOW = new Date('2026-12-05T21:03:04Z');
const REFUSAL_TAIL = ' (its data, encoders and training loop are fixed; clip also takes --data captions:<file.jsonl|file.csv>); ' +
  'it takes --steps, --batch-size, --lr, --optimizer, --seed, --out, --no-eval, --method-options, --checkpoint-every and --resume';

describe('cli: text runs by value (flags, refusals, a CLIP run on a caption file)', function () {
  this.timeout(120000);
  let dir = '';
  let captions = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-values-'));
    fs.mkdirSync(path.join(dir, 'img'));
    const colours: [string, [number, number, number]][] = [['red', [255, 0, 0]], ['green', [0, 255, 0]], ['blue', [0, 0, 255]],
      ['white', [255, 255, 255]]];
    const lines: string[] = [];
    for (let i = 0; i < 24; i++) {
      const [name, [r, g, b]] = colours[i % colours.length];
      await sharp({ create: { width: 12, height: 12, channels: 3, background: { r, g, b } } }).png().toFile(path.join(dir, 'img', `${i}.png`));
      lines.push(JSON.stringify({ image: `img/${i}.png`, caption: `a ${name} square, number ${i}.` }));
    }
    captions = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(captions, `${lines.join('\n')}\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the defaults of each text method, the run folder named after the method and the time', () => {
    assert.deepEqual(textDefaults('bert'), { method: 'bert', steps: 400, batchSize: 32, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true,
      methodOptions: {}, checkpointEvery: 100 });
    assert.deepEqual(textDefaults('clip'), { method: 'clip', steps: 300, batchSize: 128, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true,
      methodOptions: {}, checkpointEvery: 100 });
    for (const method of ['bert', 'albert', 'clip'] as const) {
      assert.deepEqual(textRunConfig(method, { eval: true }, NOW),
        { ...textDefaults(method), out: path.join('runs', `${method}-20261205-210304`) });
    }
    assert.equal(textRunConfig('bert', { eval: false }, NOW).eval, false);
  });

  // flag values -> the TextRunConfig fields they set, for each method.
  const FLAGS: [TextTrainFlags, Partial<TextRunConfig>][] = [
    [{ eval: true, steps: 7 }, { steps: 7 }],
    [{ eval: true, batchSize: 5 }, { batchSize: 5 }],
    [{ eval: true, lr: 0.0123 }, { lr: 0.0123 }],
    [{ eval: true, seed: 9 }, { seed: 9 }],
    [{ eval: true, optimizer: 'lamb' }, { optimizer: 'lamb' }],
    [{ eval: true, optimizer: 'adamw' }, { optimizer: 'adamw' }],
    [{ eval: false }, { eval: false }],
    [{ eval: true, methodOptions: { hiddenSize: 48 } }, { methodOptions: { hiddenSize: 48 } }],
    [{ eval: true, out: 'runs/mine' }, { out: 'runs/mine' }],
    [{ eval: true, checkpointEvery: 3 }, { checkpointEvery: 3 }],
    [{ eval: true, checkpointEvery: 0 }, { checkpointEvery: 0 }],
    // Flags that act on the process, not on the config.
    [{ eval: true, device: 'cpu', progress: 'none', threads: 2 }, {}],
  ];
  for (const method of ['bert', 'albert', 'clip'] as const) {
    it(`${method}: each flag lands in the config by value, nothing else moves`, () => {
      const base = textRunConfig(method, { eval: true }, NOW);
      for (const [flags, expect] of FLAGS) {
        assert.deepEqual(textRunConfig(method, flags, NOW), { ...base, ...expect }, JSON.stringify(flags));
      }
    });
  }

  it('clip --data: a caption file (with --image-size, default 32) or generated scenes; exact refusals', async () => {
    const base = textRunConfig('clip', { eval: true }, NOW);
    assert.deepEqual(textRunConfig('clip', { eval: true, data: 'captions:a/b.jsonl' }, NOW), { ...base, data: 'captions:a/b.jsonl', imageSize: 32 });
    assert.deepEqual(textRunConfig('clip', { eval: true, data: 'captions:b.CSV', imageSize: 16 }, NOW), { ...base, data: 'captions:b.CSV', imageSize: 16 });
    assert.deepEqual(textRunConfig('clip', { eval: true, data: 'scenes' }, NOW), { ...base, data: 'scenes' });
    assert.deepEqual(textRunConfig('clip', { eval: true, data: 'scenes:12' }, NOW), { ...base, data: 'scenes:12' });
    const refusals: [TextMethodFlags, string][] = [
      [['clip', { eval: true, data: 'captions:a.txt' }], 'Expected --data captions:<file.jsonl|file.csv> but received captions:a.txt'],
      [['clip', { eval: true, data: 'captions:a.jsonl.gz' }], 'Expected --data captions:<file.jsonl|file.csv> but received captions:a.jsonl.gz'],
      [['clip', { eval: true, data: 'scenes:0' }],
        'Expected --data scenes or scenes:<n> (n training scenes, a positive integer) but received scenes:0'],
      [['clip', { eval: true, data: 'scenes:07' }],
        'Expected --data scenes or scenes:<n> (n training scenes, a positive integer) but received scenes:07'],
      [['clip', { eval: true, data: 'scenes:3x' }],
        'Expected --data scenes or scenes:<n> (n training scenes, a positive integer) but received scenes:3x'],
      [['clip', { eval: true, data: 'fashion-mnist' }], `--data does not apply to clip${REFUSAL_TAIL}`],
      [['clip', { eval: true, data: 'scenes', imageSize: 16 }], `--image-size does not apply to clip${REFUSAL_TAIL}`],
      [['clip', { eval: true, imageSize: 16 }], `--image-size does not apply to clip${REFUSAL_TAIL}`],
      [['bert', { eval: true, data: 'captions:a.jsonl' }], `--data does not apply to bert${REFUSAL_TAIL}`],
      [['bert', { eval: true, data: 'scenes' }], `--data does not apply to bert${REFUSAL_TAIL}`],
      [['albert', { eval: true, imageSize: 16 }], `--image-size does not apply to albert${REFUSAL_TAIL}`],
      [['albert', { eval: true, encoderOptions: {} }], `--encoder-options does not apply to albert${REFUSAL_TAIL}`],
      [['bert', { eval: true, knnEvery: 1 }], `--knn-every does not apply to bert${REFUSAL_TAIL}`],
      [['bert', { eval: true, device: 'cuda' }], 'bert runs on the CPU in this version; drop --device cuda'],
      [['clip', { eval: true, device: 'cuda:1' }], 'clip runs on the CPU in this version; drop --device cuda:1'],
      [['bert', { eval: true, optimizer: 'sgd' }], "Expected one of 'adamw', 'lamb' for --optimizer (bert) but received 'sgd'"],
    ];
    for (const [[method, flags], message] of refusals) {
      assert.equal(await messageOf(() => textRunConfig(method, flags, NOW)), message, JSON.stringify(flags));
    }
  });

  it('--resume: the run\'s config with --no-eval applied; other flags and another method refused by name', async () => {
    const run = path.join(dir, 'resume-config');
    fs.mkdirSync(run);
    const saved = { ...textRunConfig('albert', { eval: true, steps: 6 }, NOW), out: 'elsewhere' };
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ config: saved }));
    assert.deepEqual(textResumeConfig(undefined, { resume: run, eval: true }), { ...saved, out: run });
    assert.deepEqual(textResumeConfig('albert', { resume: run, eval: false, progress: 'none', threads: 1, device: 'cpu' }),
      { ...saved, out: run, eval: false });
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ config: { ...saved, eval: false } }));
    assert.equal(textResumeConfig(undefined, { resume: run, eval: true }).eval, false);
    assert.equal(await messageOf(() => textResumeConfig('bert', { resume: run, eval: true })),
      `Cannot resume ${run} as bert: it is a albert run; drop 'bert'`);
    assert.equal(await messageOf(() => textResumeConfig(undefined, { resume: run, eval: true, steps: 3, batchSize: 2, methodOptions: {} })),
      '--resume continues a run with its own config.json; drop --steps --batch-size --method-options');
    assert.equal(await messageOf(() => textResumeConfig(undefined, { resume: run, eval: true, device: 'cuda' })),
      'albert runs on the CPU in this version; drop --device cuda');
    // A config.json without the "config" record is no text run either (and not a crash).
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ other: 1 }));
    assert.equal(await messageOf(() => textResumeConfig(undefined, { resume: run, eval: true })),
      `Cannot resume from '${run}': it is not a run folder of selfsup train bert|albert|clip (no config.json of one)`);
    const missing = path.join(dir, 'not-a-run');
    assert.equal(await messageOf(() => textResumeConfig(undefined, { resume: missing, eval: true })),
      `Cannot resume from '${missing}': it is not a run folder of selfsup train bert|albert|clip (no config.json of one)`);
  });

  it('a CLIP run on a caption file: its files, log and table by value; a second run into the folder is refused', async () => {
    const out = path.join(dir, 'clip-a');
    const c = textRunConfig('clip', { data: `captions:${captions}`, imageSize: 8, steps: 3, batchSize: 8, out, eval: true,
      checkpointEvery: 1 }, NOW);
    const lines: string[] = [];
    let printed = '';
    const report = await runTextTrain(c, { log: (l) => lines.push(l), print: (t) => { printed += t; }, logEvery: 1 });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')), { config: c });
    const tok = WordPieceTokenizer.load(path.join(out, 'tokenizer.json'));
    const fresh = buildClip(c, tok.vocabSize, 3);
    const textParameters = fresh.textModel.numParameters();
    fresh.dispose();
    assert.equal(lines[0], `Training clip (small_cnn + ${textParameters.toLocaleString('en-US')}-parameter text encoder) on pairs.jsonl: ` +
      `22 training pairs, 2 held out for 3 steps of 8; run folder ${out}`);
    assert.deepEqual(lines.filter((l) => /^step \d/.test(l)).map((l) => l.split(' ')[1]), ['1/3', '2/3', '3/3']);
    assert.equal(lines[lines.length - 1],
      'Evaluating: zero-shot, linear probe of the image encoder, retrieval on held-out pairs (trained, untrained, floors)');
    assert.deepEqual(Object.keys(report), ['method', 'steps', 'optimizer', 'seconds', 'history', 'losses', 'eval']);
    assert.deepEqual([report.method, report.steps, report.optimizer, (report.losses as number[]).length], ['clip', 3, 'adamw', 3]);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
    assert.deepEqual(saved, JSON.parse(JSON.stringify(report)));
    const ev = report.eval as { data: string; chance: ClipScores; rawPixels: ClipScores; untrained: ClipScores; trained: ClipScores;
      templates: string[] };
    assert.equal(ev.data, 'pairs.jsonl: 22 training pairs, 2 held out');
    assert.deepEqual(ev.chance, { retrieval: { imageToText: { 1: 0.5, 5: 1, 10: 1 }, textToImage: { 1: 0.5, 5: 1, 10: 1 }, pairs: 2 } });
    assert.deepEqual(ev.rawPixels, {});
    assert.deepEqual(Object.keys(ev.trained), ['retrieval']);
    assert.deepEqual(ev.templates, ZERO_SHOT_TEMPLATES);
    assert.equal(printed, `${formatClipReport(ev, 'clip, 3 steps')}(trained in ${(report.seconds as number).toFixed(0)} s)\n`);
    // checkpointEvery 1: one per step, the newest two kept.
    assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).sort(),
      ['step-00000002.json', 'step-00000002.safetensors', 'step-00000003.json', 'step-00000003.safetensors']);
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoints', 'config.json', 'eval.json', 'model.safetensors', 'tokenizer.json']);
    assert.equal(await messageOf(() => runTextTrain(c, { log: () => undefined, print: () => undefined })),
      `${out} already holds a run with checkpoints: resume it with  selfsup train --resume ${out}  or choose another --out`);

    // selfsup eval of the run: the same evaluation, printed and written into eval.json over the training's records.
    let again = '';
    const evalLines: string[] = [];
    const evaluated = await runTextEval(out, { log: (l) => evalLines.push(l), print: (t) => { again += t; } });
    assert.deepEqual(evaluated.eval, report.eval);
    assert.deepEqual(evaluated, JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')));
    assert.deepEqual(evaluated.losses, report.losses);
    assert.equal(again, formatClipReport(ev, 'clip, 3 steps'));
    assert.deepEqual(evalLines, [`Evaluating ${out}: zero-shot, linear probe of the image encoder, retrieval on held-out pairs`]);
  });

  it('a CLIP run without evaluation, stopped after step 1 and resumed: logs, files and records by value', async () => {
    const out = path.join(dir, 'clip-b');
    const c = textRunConfig('clip', { data: `captions:${captions}`, imageSize: 8, steps: 3, batchSize: 8, out, eval: false,
      checkpointEvery: 0 }, NOW);
    const controller = new AbortController();
    const lines: string[] = [];
    let printed = '';
    const stopped = await runTextTrain(c, { logEvery: 1, signal: controller.signal, print: (t) => { printed += t; },
      log: (l) => { lines.push(l); if (l.startsWith('step 1/3')) controller.abort(); } });
    assert.deepEqual([stopped.interrupted, stopped.steps, (stopped.losses as number[]).length], [true, 1, 1]);
    assert.deepEqual(Object.keys(stopped), ['method', 'steps', 'optimizer', 'seconds', 'history', 'losses', 'interrupted']);
    assert.equal(lines[lines.length - 1], `Interrupted after step 1: resume with  selfsup train --resume ${out}`);
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoints', 'config.json', 'tokenizer.json'], 'no eval.json, no model');
    assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).sort(), ['step-00000001.json', 'step-00000001.safetensors']);
    assert.equal(printed, '');
    // A resumed run keeps its config.json (a note written into it stays) and its tokenizer.
    const record = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ ...record, note: 'kept' }));
    const tokenizer = fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8');
    const resumed: string[] = [];
    const done = await runTextTrain(c, { resume: true, logEvery: 1, log: (l) => resumed.push(l), print: (t) => { printed += t; } });
    assert.equal(resumed[0], `Resuming ${out} after step 1 of 3 (${path.join(out, 'checkpoints', 'step-00000001.json')})`);
    assert.deepEqual(resumed.filter((l) => /^step \d/.test(l)).map((l) => l.split(' ')[1]), ['2/3', '3/3']);
    assert.deepEqual([done.interrupted, done.steps, (done.losses as number[]).slice(0, 1)], [undefined, 3, stopped.losses]);
    assert.equal(done.eval, undefined);
    assert.equal(printed, '', '--no-eval prints nothing');
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).note, 'kept');
    assert.equal(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8'), tokenizer);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')), JSON.parse(JSON.stringify(done)));
    assert.ok(fs.existsSync(path.join(out, 'model.safetensors')));
    // A stop requested at the last step is no interruption (the run is complete).
    const last = new AbortController();
    const whole = await runTextTrain({ ...c, out: path.join(dir, 'clip-c') }, { logEvery: 1, signal: last.signal, print: () => undefined,
      log: (l) => { if (l.startsWith('step 3/3')) last.abort(); } });
    assert.deepEqual([whole.interrupted, whole.steps], [undefined, 3]);
  });

  it('selfsup train --resume and selfsup eval of a clip run through the real program; eval refuses flags that would change the table', async () => {
    // A clip run folder as far as these checks read it (its config.json): they refuse before any other file is read.
    const out = path.join(dir, 'clip-refusals');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: textRunConfig('clip', { eval: true, steps: 3 }, NOW) }));
    const run = async (args: string[]): Promise<void> => { await quietProgram().parseAsync(['node', 'selfsup', ...args]); };
    for (const [flags, drop] of [[['--knn'], '--knn'], [['--linear', '--train-subset', '5'], '--linear --train-subset'],
      [['--no-floors'], '--no-floors'], [['--device', 'cuda'], '--device'], [['--data', 'synthetic', '--encoder', 'x'], '--data --encoder'],
      [['--encoder-options', '{}'], '--encoder-options']] as [string[], string][]) {
      assert.equal(await messageOf(() => run(['eval', out, ...flags])),
        `selfsup eval of a bert, albert or clip run recomputes the run's own table; drop ${drop}`);
    }
    assert.equal(await messageOf(() => run(['train', '--resume', out, '--dashboard'])), '--dashboard shows image runs; drop it for text runs');
    assert.equal(await messageOf(() => run(['train', '--resume', out, '--nproc-per-node', '2'])),
      '--nproc-per-node: the text methods (text runs) train on one process only');
    assert.equal(await messageOf(() => run(['train', 'clip', '--resume', out, '--lr', '0.1'])),
      '--resume continues a run with its own config.json; drop --lr');
  });
});

type TextMethodFlags = ['bert' | 'albert' | 'clip', TextTrainFlags];

describe('cli: the CLIP table (formatClipReport) by its exact text', () => {
  const recall = (a: number, b: number, c: number) => ({ 1: a, 5: b, 10: c });
  it('labelled data: zero-shot, linear and retrieval columns, "-" where a row has no value', () => {
    const report = {
      data: 'D', chance: { zeroShotTop1: 0.1, retrieval: { imageToText: recall(0.001, 0.005, 0.01), textToImage: recall(0.001, 0.005, 0.01), pairs: 1000 } },
      rawPixels: { linearProbeTop1: 0.8123 }, untrained: { zeroShotTop1: 0.05, linearProbeTop1: 0.5, retrieval: { imageToText: recall(0.01, 0.02, 0.03),
        textToImage: recall(0.04, 0.05, 0.06), pairs: 1000 } },
      trained: { zeroShotTop1: 0.6, linearProbeTop1: 0.85, retrieval: { imageToText: recall(0.1, 0.2, 0.3), textToImage: recall(0.4, 0.5, 0.6), pairs: 1000 } },
    };
    assert.equal(formatClipReport(report, 'clip, 9 steps'), [
      '',
      '                     zero-shot  linear  I>T@1     @5    @10  T>I@1     @5    @10',
      'chance                    10.0       -    0.1    0.5    1.0    0.1    0.5    1.0',
      'raw pixels                   -    81.2      -      -      -      -      -      -',
      'untrained                  5.0    50.0    1.0    2.0    3.0    4.0    5.0    6.0',
      'clip, 9 steps             60.0    85.0   10.0   20.0   30.0   40.0   50.0   60.0',
      `(D; zero-shot: top-1 on the 10,000 test images, prompts averaged over ${ZERO_SHOT_TEMPLATES.length} templates; ` +
        'linear: probe of the frozen image encoder, 10,000 training images; recall@k in % on held-out pairs)',
      '',
    ].join('\n'));
  });

  it('generated scenes: seen and held-out combinations side by side', () => {
    const r = (x: number) => ({ imageToText: recall(x, 2 * x, 3 * x), textToImage: recall(x / 2, x, 1.5 * x), pairs: 1000 });
    const report = { data: 'S', chance: { retrieval: r(0.001), retrievalHeldOut: r(0.002) }, rawPixels: {},
      untrained: { retrieval: r(0.01), retrievalHeldOut: r(0.02) }, trained: { retrieval: r(0.1), retrievalHeldOut: r(0.2) } };
    assert.equal(formatClipReport(report, 'clip, 2 steps'), [
      '',
      '                    seen combinations                            held-out combinations',
      '                      I>T@1     @5    @10  T>I@1     @5    @10     I>T@1     @5    @10  T>I@1     @5    @10',
      'chance                  0.1    0.2    0.3    0.1    0.1    0.1       0.2    0.4    0.6    0.1    0.2    0.3',
      'untrained               1.0    2.0    3.0    0.5    1.0    1.5       2.0    4.0    6.0    1.0    2.0    3.0',
      'clip, 2 steps          10.0   20.0   30.0    5.0   10.0   15.0      20.0   40.0   60.0   10.0   20.0   30.0',
      '(S; recall@k in %: each image ranks the 1000 captions of its set, each caption its images; chance is k/N)',
      '',
    ].join('\n'));
  });
});
