// `selfsup preview --task`: for each pretext task, the PNG has the grid's
// size, its pixels are the columns, and the columns are what the task built
// (rotations of the originals, tiles cut at the drawn origins in the drawn
// order, the drawn hole), so the picture changes with the task.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { Command } from 'commander';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { registerPreview } from '../../lib/cli/preview';
import { PREVIEW_TASKS, previewTask, TaskColumns } from '../../lib/cli/task-preview';
import { synthetic } from '../../lib/data/synthetic';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { Jigsaw } from '../../lib/ssl/jigsaw';
import { assertAllClose } from '../data/transforms/reference';
import { rgbToLab } from '../../lib/data/transforms/lab';

/** Cell (row, column) of a written grid (padding 2, scale 1) as (C, h, w) floats in [0, 1]. */
async function cell(file: string, row: number, col: number, h: number, w: number, cellH: number, cellW: number): Promise<Tensor> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const img = torch.tensor(Uint8Array.from(data), { shape: [info.height, info.width, info.channels] });
  const top = 2 + row * (cellH + 2) + Math.floor((cellH - h) / 2);
  const left = 2 + col * (cellW + 2) + Math.floor((cellW - w) / 2);
  return img.narrow(0, top, h).narrow(1, left, w).permute([2, 0, 1]).to('float32').div(255);
}

const bytes = (t: Tensor): Tensor => t.clamp(0, 1).mul(255).round().div(255);

describe('cli: selfsup preview --task', function () {
  this.timeout(120000);
  let dir: string;
  let data: ImageDataset;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-task-preview-'));
    data = synthetic({ n: 12, channels: 3, size: 32, seed: 3 });
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    disposeDataset(data);
  });

  const written = new Map<string, TaskColumns & { width: number; height: number }>();
  for (const task of PREVIEW_TASKS) {
    it(`${task}: the PNG has the grid's size and shows the columns the task built`, async () => {
      torch.manualSeed(0);
      const out = path.join(dir, `${task}.png`);
      const info = await previewTask({ task, dataset: data, out, n: 3, seed: 1, scale: 1 });
      written.set(task, info);
      const cellH = Math.max(...info.columns.map((c) => c.shape[2]));
      const cellW = Math.max(...info.columns.map((c) => c.shape[3]));
      const meta = await sharp(out).metadata();
      assert.equal(meta.width, info.columns.length * (cellW + 2) + 2);
      assert.equal(meta.height, 3 * (cellH + 2) + 2);
      assert.equal(info.legend.length, info.columns.length);
      // The pixels are the columns (each column's row 1).
      for (let j = 0; j < info.columns.length; j++) {
        const c = info.columns[j];
        assertAllClose(await cell(out, 1, j, c.shape[2], c.shape[3], cellH, cellW),
          bytes(c.select(0, 1).expand([3, c.shape[2], c.shape[3]])), 1e-6, `${task} column ${j}`);
      }
      const x = info.columns[0];
      if (task === 'rotation') {
        // Column 2 is the 90-degree counter-clockwise rotation: out[i][j] = in[j][W - 1 - i].
        assertAllClose(info.columns[2], x.transpose(2, 3).flip([2]), 0, 'rotated 90');
      } else if (task === 'jigsaw' || task === 'damaged_jigsaw') {
        const m = new Jigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 4 } });
        const P = (info.columns[2].shape[2] - 2) / 3;
        const origins = info.task!.origins.toArray() as number[][][];
        const labels = info.task!.labels.toArray() as number[];
        // The target mosaic (jigsaw: the solved puzzle; damaged: tiles in puzzle order) holds the cut tiles.
        for (const b of [0, 2]) {
          for (const pos of [0, 4, 8]) {
            const tile = task === 'jigsaw' ? pos : m.permutations[labels[b]][pos];
            const [y0, x0] = origins[b][tile];
            const r = Math.floor(pos / 3);
            const c = pos % 3;
            assertAllClose(info.columns[2].select(0, b).narrow(1, r * (P + 1), P).narrow(2, c * (P + 1), P),
              x.select(0, b).narrow(1, y0, P).narrow(2, x0, P), 0, `${task} image ${b} position ${pos}`);
          }
        }
        m.dispose();
      } else if (task === 'relative_position') {
        const origins = info.task!.origins.toArray() as number[][][];
        const P = info.columns[1].shape[2];
        const [y0, x0] = origins[1][4];
        assertAllClose(info.columns[1].select(0, 1), x.select(0, 1).narrow(1, y0, P).narrow(2, x0, P), 0, 'centre patch');
      } else if (task === 'context_encoder') {
        const hole = info.task!.hole;
        assertAllClose(info.columns[1], torch.where(hole.gt(0), 0.5, x), 0, 'the hole in the input');
        assert.ok((hole.sum().item() as number) > 0);
      } else {
        // Colour tasks: the input is the gray image the network gets (L / 100 of Lab; DeOldify: the luma), the
        // last column the original through Lab and back, beside the network's colours.
        const gray = task === 'deoldify'
          ? x.select(1, 0).mul(0.299).add(x.select(1, 1).mul(0.587)).add(x.select(1, 2).mul(0.114)).unsqueeze(1)
          : rgbToLab(x).narrow(1, 0, 1).div(100);
        assertAllClose(info.columns[1], gray.expand([-1, 3, -1, -1]), 2e-3, `${task}: the gray input`);
        assertAllClose(info.columns[info.columns.length - 1], x, 2e-3, `${task}: the target`);
        const made = info.columns[info.columns.length - 2];
        assert.deepEqual(made.shape, x.shape);
        assert.ok((made.sub(x).abs().max().item() as number) > 0.01, `${task}: an untrained network's colours are not the original's`);
      }
    });
  }

  it('the pictures differ from task to task (the inputs column)', () => {
    const inputs = [...written.entries()].map(([task, w]) => [task, w.columns[1]] as const);
    assert.equal(inputs.length, PREVIEW_TASKS.length);
    for (let i = 0; i < inputs.length; i++) {
      for (let j = i + 1; j < inputs.length; j++) {
        // Colorization and split-brain's L -> ab half are given the same input, L.
        if (inputs[i][0] === 'colorization' && inputs[j][0] === 'split_brain') continue;
        const [a, b] = [inputs[i][1], inputs[j][1]];
        const same = a.shape.join() === b.shape.join() && (a.sub(b).abs().max().item() as number) === 0;
        assert.ok(!same, `${inputs[i][0]} and ${inputs[j][0]} show the same input`);
      }
    }
  });

  it('runs from the command line and refuses unknown tasks', async () => {
    const out = path.join(dir, 'cli.png');
    const program = new Command('selfsup').exitOverride();
    registerPreview(program);
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => { lines.push(s); return true; }) as typeof process.stdout.write;
    try {
      await program.parseAsync(['preview', '--task', 'context_encoder', '--data', 'synthetic', '--out', out, '--n', '2'],
        { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    assert.ok(fs.existsSync(out));
    assert.match(lines.join(''), /columns: 1\. original \(the target\); 2\. input: the hole filled/);
    await assert.rejects(program.parseAsync(['preview', '--task', 'colourize', '--data', 'synthetic', '--out', out],
      { from: 'user' }), /Expected one of rotation, jigsaw, relative_position, context_encoder, damaged_jigsaw, colorization, split_brain, deoldify for --task/);
  });
});
