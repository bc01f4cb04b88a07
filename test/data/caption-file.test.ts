// Image-caption files for CLIP (JSONL and CSV): a tiny generated set in a
// temporary folder (coloured squares named by their captions), read back with
// paths relative to the file; errors name the line and the missing field or
// file; the held-out split; batches pair each image with its own caption;
// `selfsup train clip --data captions:<file>` trains and evaluates on it, and
// `selfsup eval` of that run reproduces the table.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../lib/torch';
import { WordPieceTokenizer } from '../../lib/data/text';
import { captionBatch, CaptionBatches, loadCaptionSet, readCaptionFile, splitCaptionSet } from '../../lib/data/image-text';
import { runTextTrain, textRunConfig } from '../../lib/cli/text-train';
import { runTextEval } from '../../lib/cli/text-eval';

const COLOURS: [string, [number, number, number]][] = [
  ['red', [255, 0, 0]], ['green', [0, 255, 0]], ['blue', [0, 0, 255]], ['white', [255, 255, 255]],
  ['yellow', [255, 255, 0]], ['black', [0, 0, 0]],
];

describe('data: image-caption files (JSONL, CSV)', function () {
  this.timeout(120000);
  let dir = '';
  const pairs: { image: string; caption: string }[] = [];
  const write = (name: string, text: string): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-captions-'));
    fs.mkdirSync(path.join(dir, 'img'));
    for (let i = 0; i < 24; i++) {
      const [name, rgb] = COLOURS[i % COLOURS.length];
      const image = `img/${i}.png`;
      await sharp({ create: { width: 12, height: 12, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
        .png().toFile(path.join(dir, image));
      pairs.push({ image, caption: `a ${name} square, number ${i}.` });
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads JSONL (blank lines skipped, "file"/"text" accepted) with absolute image paths and line numbers', () => {
    const lines = pairs.slice(0, 3).map((p, i) => JSON.stringify(i === 2 ? { file: p.image, text: p.caption } : p));
    const file = write('a.jsonl', `${lines[0]}\n\n${lines[1]}\n${lines[2]}\n`);
    const entries = readCaptionFile(file);
    assert.deepEqual(entries.map((e) => e.line), [1, 3, 4]);
    assert.equal(entries[0].image, path.join(dir, 'img', '0.png'));
    assert.deepEqual(entries.map((e) => e.caption), pairs.slice(0, 3).map((p) => p.caption));
  });

  it('reads CSV with a header, quoted commas and an embedded newline', () => {
    const file = write('a.csv', 'image,caption\nimg/0.png,"a red square, number 0."\nimg/1.png,"two\nlines"\nimg/2.png,plain\n');
    const entries = readCaptionFile(file);
    assert.deepEqual(entries.map((e) => e.caption), ['a red square, number 0.', 'two\nlines', 'plain']);
    assert.equal(entries[2].image, path.join(dir, 'img', '2.png'));
    assert.deepEqual(entries.map((e) => e.line), [2, 4, 5]);
  });

  it('errors name the file, the line and the missing field or image', async () => {
    const jsonl = (name: string, text: string) => () => readCaptionFile(write(name, text));
    assert.throws(jsonl('m.jsonl', '{"image": "img/0.png", "caption": "x"}\n{"image": "img/1.png"}\n'),
      /m\.jsonl line 2: missing field "caption"/);
    assert.throws(jsonl('n.jsonl', '{"caption": "x"}\n'), /n\.jsonl line 1: missing field "image"/);
    assert.throws(jsonl('g.jsonl', '{"image": "img/0.png", "caption": "x"}\n{"image": "img/404.png", "caption": "y"}\n'),
      /g\.jsonl line 2: image 'img\/404\.png' not found/);
    assert.throws(jsonl('j.jsonl', '{"image": \n'), /j\.jsonl line 1: not valid JSON/);
    assert.throws(jsonl('e.jsonl', '{"image": "img/0.png", "caption": ""}\n'), /e\.jsonl line 1: expected a non-empty string for field "caption"/);
    assert.throws(() => readCaptionFile(write('c.csv', 'path,caption\nimg/0.png,x\n')), /c\.csv line 2: missing field "image"/);
    assert.throws(() => readCaptionFile(write('q.csv', 'image,caption\nimg/0.png,"open\n')), /q\.csv line 2: a quoted field is never closed/);
    assert.throws(() => readCaptionFile(write('f.csv', 'image,caption\nimg/0.png,a,b\n')), /f\.csv line 2: expected 2 fields/);
    assert.throws(() => readCaptionFile(write('t.txt', 'x')), /ending in \.jsonl or \.csv/);
    assert.throws(() => readCaptionFile(path.join(dir, 'absent.jsonl')), /Cannot read caption file/);
    assert.throws(jsonl('z.jsonl', '\n\n'), /holds no image-caption pairs/);
    write('img/bad.png', 'not a png');
    await assert.rejects(loadCaptionSet(write('b.jsonl', '{"image": "img/0.png", "caption": "x"}\n{"image": "img/bad.png", "caption": "y"}\n'),
      { size: 8, workers: 1 }), /b\.jsonl line 2: cannot decode image/);
    fs.rmSync(path.join(dir, 'img', 'bad.png'));
  });

  it('decodes the images (RGB, resized), splits off held-out pairs stably, and batches each image with its own caption', async () => {
    const file = write('all.jsonl', pairs.map((p) => JSON.stringify(p)).join('\n'));
    const set = await loadCaptionSet(file, { size: 8, workers: 2 });
    try {
      assert.deepEqual(set.dataset.images.shape, [24, 3, 8, 8]);
      torch.scope(() => COLOURS.forEach(([name, rgb], c) => {
        const px = set.dataset.images.select(0, c).mean([1, 2], false, { dtype: 'float32' }).toArray() as number[];
        assert.deepEqual(px.map(Math.round), rgb, name);
      }));
      const { train, test } = splitCaptionSet(set, 0.25);
      assert.equal(test.captions.length, 6);
      assert.equal(train.captions.length + test.captions.length, 24);
      assert.ok(test.captions.every((t) => !train.captions.includes(t)));
      // The same pairs written in another order hold out the same pairs.
      const shuffled = write('rev.jsonl', pairs.slice().reverse().map((p) => JSON.stringify(p)).join('\n'));
      const again = await loadCaptionSet(shuffled, { size: 8, workers: 1 });
      assert.deepEqual(splitCaptionSet(again, 0.25).test.captions.sort(), test.captions.slice().sort());
      again.dataset.images.dispose();
      const tok = WordPieceTokenizer.train(set.captions, { vocabSize: 120, minFrequency: 1 });
      const ids = set.captions.map((t) => tok.encode(t));
      torch.scope(() => {
        const b = captionBatch(set, tok, ids, [7, 2], 16);
        const row = (b.inputIds.select(0, 0).toArray() as number[]).filter((id) => id !== tok.padId);
        assert.deepEqual(row, [tok.clsId, ...ids[7], tok.sepId]);
        const expected = set.dataset.images.select(0, 2).to('float32').div(255).sub(set.dataset.mean[1]).div(set.dataset.std[1]).select(0, 1);
        assert.ok(torch.allclose(b.images.select(0, 1).select(0, 1), expected, { atol: 1e-5 }));
        const batches = new CaptionBatches(train, tok, { batchSize: 5, seed: 1 });
        assert.deepEqual(batches.next().images.shape, [5, 3, 8, 8]);
      });
      [train, test].forEach((s) => s.dataset.images.dispose());
    } finally {
      set.dataset.images.dispose();
    }
  });

  it('selfsup train clip --data captions:<file> trains and evaluates retrieval; selfsup eval of the run gives the same table', async () => {
    const file = write('train.csv', `file,text\n${pairs.map((p) => `${p.image},"${p.caption}"`).join('\n')}\n`);
    assert.throws(() => textRunConfig('clip', { data: 'captions:x.txt', eval: true }), /captions:<file\.jsonl\|file\.csv>/);
    assert.throws(() => textRunConfig('bert', { data: `captions:${file}`, eval: true }), /--data does not apply to bert/);
    const out = path.join(dir, 'run');
    const c = { ...textRunConfig('clip', { data: `captions:${file}`, imageSize: 8, steps: 2, batchSize: 8, out, eval: true }) };
    assert.equal(c.imageSize, 8);
    // without --image-size a caption file's images are decoded at CAPTION_IMAGE_DEFAULTS.imageSize (32)
    assert.equal(textRunConfig('clip', { data: `captions:${file}`, eval: true }).imageSize, 32);
    const report = await runTextTrain(c, { log: () => undefined, print: () => undefined });
    const ev = report.eval as { trained: { retrieval: { pairs: number; imageToText: Record<string, number> } };
      chance: { retrieval: { imageToText: Record<string, number> } }; untrained: { zeroShotTop1?: number } };
    assert.equal(ev.trained.retrieval.pairs, 2); // 10% of 24, rounded
    assert.equal(ev.chance.retrieval.imageToText[1], 0.5);
    assert.equal(ev.untrained.zeroShotTop1, undefined, 'no zero-shot without classes');
    let printed = '';
    const again = await runTextEval(out, { log: () => undefined, print: (t) => { printed += t; } });
    assert.deepEqual((again.eval as typeof ev).trained, ev.trained);
    assert.match(printed, /I>T@1/);
    assert.ok(JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')).history.length > 0, 'eval.json keeps the training history');
  });
});
