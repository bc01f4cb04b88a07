import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import * as torch from '../../lib/torch';
import { preview, registerPreview } from '../../lib/cli/preview';
import { synthetic } from '../../lib/data/synthetic';
import { writeImageGrid } from '../../lib/data/image-grid';

describe('cli: selfsup preview', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-preview-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes originals and views of Fashion-MNIST as a PNG grid from the command line', async () => {
    const out = path.join(dir, 'views.png');
    const program = new Command('selfsup').exitOverride();
    registerPreview(program);
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { written.push(s); return true; }) as typeof process.stdout.write;
    try {
      await program.parseAsync(['preview', '--recipe', 'simclr', '--data', 'fashion-mnist', '--split', 'test', '--out', out,
        '--n', '3', '--views', '4', '--seed', '1'], { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    const meta = await sharp(out).metadata();
    // 5 columns and 3 rows of 28 px cells with 2 px padding, magnified 2x.
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, (5 * 30 + 2) * 2);
    assert.equal(meta.height, (3 * 30 + 2) * 2);
    assert.equal(meta.channels, 1);
    assert.match(written.join(''), /Wrote .*views\.png \(304x184\): 3 fashion-mnist\/test images, 4 simclr views each/);
  });

  it('shows multi-crop views of different sizes centred in equal cells', async () => {
    const ds = synthetic({ n: 16, channels: 3, size: 32 });
    const out = path.join(dir, 'dino.png');
    const info = await preview({ recipe: 'dino', dataset: ds, out, n: 2, views: 4, seed: 0, scale: 1 });
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [5 * 34 + 2, 2 * 34 + 2, 3]);
    assert.deepEqual([info.width, info.height], [meta.width, meta.height]);
    // The same seed writes the same pixels.
    const again = path.join(dir, 'dino2.png');
    await preview({ recipe: 'dino', dataset: ds, out: again, n: 2, views: 4, seed: 0, scale: 1 });
    const [a, b] = await Promise.all([sharp(out).raw().toBuffer(), sharp(again).raw().toBuffer()]);
    assert.ok(a.equals(b));
  });

  it('places pixels where the grid says', async () => {
    const out = path.join(dir, 'grid.png');
    const white = torch.ones([1, 1, 2, 2]);
    const black = torch.zeros([1, 1, 2, 2]);
    await writeImageGrid(out, [white, black], { padding: 1, background: 128 });
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [7, 4]);
    const at = (x: number, y: number): number => data[(y * info.width + x) * info.channels];
    assert.deepEqual([at(0, 0), at(1, 1), at(2, 2), at(3, 1), at(4, 1), at(5, 2)], [128, 255, 255, 128, 0, 0]);
  });

  it('rejects unknown recipes and datasets with the accepted names', async () => {
    const program = new Command('selfsup').exitOverride();
    registerPreview(program);
    await assert.rejects(program.parseAsync(['preview', '--recipe', 'moco', '--out', path.join(dir, 'x.png')], { from: 'user' }),
      /Expected one of simclr, byol, dino, mae for --recipe but received moco/);
    await assert.rejects(program.parseAsync(['preview', '--data', 'mnist', '--out', path.join(dir, 'x.png')], { from: 'user' }),
      /Expected fashion-mnist, cifar10, cifar100 or synthetic for --data but received mnist/);
  });
});
