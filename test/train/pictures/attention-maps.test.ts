// DINO's attention maps against PyTorch: the last block's per-head [CLS]
// attention (clsAttention) and the picture attention.png draws from it
// (writeAttentionMaps) on the same weights and images as
// test/helpers/attention_ref.py, which follows DINO's get_last_selfattention
// and visualize_attention.py on models_ref.py's timm-structured ViT.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../../lib/torch';
import { loadSafetensors } from '../../../lib/torch/safetensors';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset } from '../../../lib/data/dataset';
import { normalize, toFloatImages } from '../../../lib/data/transforms/normalize';
import { VisionTransformer } from '../../../lib/models/vit';
import { clsAttention, writeAttentionMaps } from '../../../lib/train/pictures/attention-maps';
import { runPythonReference } from '../../helpers/python-reference';

interface Case {
  name: string;
  seed: number;
  imgSize: number;
  patchSize: number;
  inChannels: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  /** Every qkv weight times this: PyTorch's default init attends almost uniformly. */
  qkvGain: number;
  x: torch.Tensor;
  mean: number[];
  std: number[];
}
interface Answer { attn: number[]; attnShape: number[]; picture: number[] }

const flat = (t: torch.Tensor): number[] => Array.from(t.contiguous().toTypedArray() as Float32Array);

describe('train: DINO attention maps against PyTorch (DINO\'s get_last_selfattention)', function () {
  this.timeout(120000);
  let dir: string;
  let threads = 1;
  let cases: Case[];
  let answers: Record<string, Answer>;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-attention-'));
    // Real images: the synthetic set's patterns, normalised as writeEndPictures feeds them.
    const data = synthetic({ n: 4, channels: 1, size: 16, classes: 4, seed: 1 });
    const x1 = torch.scope(() => normalize(toFloatImages(data.images), data.mean, data.std));
    const [mean, std] = [[...data.mean], [...data.std]];
    disposeDataset(data);
    torch.manualSeed(3);
    cases = [
      { name: 'gray16', seed: 1, imgSize: 16, patchSize: 4, inChannels: 1, embedDim: 32, depth: 2, numHeads: 2, qkvGain: 4,
        x: x1, mean, std },
      // A 4x6 patch grid on a ViT made for 4x4: the position embedding is resampled (timm's bicubic).
      { name: 'rgb32x48', seed: 2, imgSize: 32, patchSize: 8, inChannels: 3, embedDim: 48, depth: 3, numHeads: 3, qkvGain: 3,
        x: torch.randn([2, 3, 32, 48]), mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    ];
    const job = { dir, cases: cases.map((c) => ({ ...c, x: { shape: c.x.shape, data: flat(c.x) }, mean: undefined, std: undefined })) };
    answers = runPythonReference<Record<string, Answer>>('attention_ref.py', job);
    // NOTE: one intra-op thread, as the Python side, so that both sum in the same order.
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
  });
  after(() => {
    torch.setNumThreads(threads);
    cases?.forEach((c) => c.x.dispose());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const load = (c: Case): VisionTransformer => {
    const vit = new VisionTransformer({ imgSize: c.imgSize, patchSize: c.patchSize, inChannels: c.inChannels,
      embedDim: c.embedDim, depth: c.depth, numHeads: c.numHeads, numClasses: 0 });
    const weights = loadSafetensors(path.join(dir, `${c.name}.safetensors`));
    assert.deepEqual(vit.loadStateDict(weights), { missingKeys: [], unexpectedKeys: [] });
    weights.forEach((t) => t.dispose());
    vit.eval();
    return vit;
  };

  for (const name of ['gray16', 'rgb32x48']) {
    it(`${name}: the per-head [CLS] attention over the patches within 1e-5 of PyTorch's, and far from uniform`, () => {
      const c = cases.find((k) => k.name === name)!;
      const ref = answers[name];
      const vit = load(c);
      try {
        const maps = clsAttention(vit, c.x); // (B, heads, h, w)
        assert.deepEqual(maps.shape, ref.attnShape);
        const got = flat(maps);
        maps.dispose();
        const worst = Math.max(...got.map((v, i) => Math.abs(v - ref.attn[i])));
        assert.ok(worst < 1e-5, `max |diff| ${worst}`);
        // The check means something only if the heads look somewhere: each head's largest patch weight is
        // several times its smallest in every image.
        const [B, heads, h, w] = ref.attnShape;
        for (let m = 0; m < B * heads; m++) {
          const head = ref.attn.slice(m * h * w, (m + 1) * h * w);
          assert.ok(Math.max(...head) > 3 * Math.min(...head), `map ${m}: ${Math.min(...head)}..${Math.max(...head)}`);
        }
      } finally {
        vit.dispose();
      }
    });
  }

  it('attention.png draws those maps: upsampled by the patch size, each head scaled to [0, 1], one column per head', async () => {
    for (const c of cases) {
      const ref = answers[c.name];
      const [B, heads] = ref.attnShape;
      const [H, W] = [c.x.shape[2], c.x.shape[3]];
      const vit = load(c);
      const file = path.join(dir, `${c.name}.png`);
      try {
        await writeAttentionMaps(file, vit, c.x, { mean: c.mean, std: c.std, scale: 2 });
      } finally {
        vit.dispose();
      }
      const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      const pad = 2;
      assert.deepEqual([info.width, info.height], [((1 + heads) * (W + pad) + pad) * 2, (B * (H + pad) + pad) * 2]);
      let worst = 0;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < heads; j++) {
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < W; x++) {
              // Cell (row b, column 1 + j), pixel (y, x), magnified 2x; the first channel (gray maps repeat to RGB).
              const px = (pad + (1 + j) * (W + pad) + x) * 2;
              const py = (pad + b * (H + pad) + y) * 2;
              const byte = data[(py * info.width + px) * info.channels];
              const expected = 255 * ref.picture[((b * heads + j) * H + y) * W + x];
              worst = Math.max(worst, Math.abs(byte - expected));
            }
          }
        }
      }
      // 8-bit rounding: at most half a level, plus float noise at a .5 boundary.
      assert.ok(worst <= 0.5 + 1e-3, `${c.name}: a pixel differs from PyTorch's map by ${worst} levels`);
    }
  });
});
