// MAE: the sin-cos position embedding against MAE's numpy code, random
// masking, MAE's keys, a few steps lowering the loss with a flat tensor
// count, the ViT-only error, and the reconstruction PNG.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { ResNet } from '../../lib/models/resnet';
import { basicBlock } from '../../lib/models/resnet-blocks';
import { AdamW } from '../../lib/optim/adamw';
import { MAE, MAEOptions, numKept, randomMasking } from '../../lib/ssl/mae';
import { MAEDecoder, get2dSincosPosEmbed } from '../../lib/ssl/mae-decoder';
import { writeReconstruction } from '../../lib/ssl/mae-reconstruction';
import { TrainProgress } from '../../lib/ssl/method';
import { patchify } from '../../lib/ssl/losses/mae-loss';
import { runDinoMaeRef } from '../helpers/dino-mae-ref';

type Tensor = torch.Tensor;

/** The values of a tensor as a flat array of numbers. */
const flat = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);

const tinyVit = (options: { inChannels?: number } = {}): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0, ...options });

function makeMae(options: Partial<MAEOptions> = {}): MAE {
  return new MAE({ encoder: tinyVit(), decoderDim: 32, decoderDepth: 1, decoderHeads: 4, ...options });
}

const at = (step: number): TrainProgress => ({ step, totalSteps: 10, epoch: 0, stepsPerEpoch: 10 });
const ints = (t: Tensor): number[] => flat(t).map(Math.round);

describe('ssl: MAE', function () {
  this.timeout(60000);

  it("get2dSincosPosEmbed equals MAE's get_2d_sincos_pos_embed (numpy)", () => {
    const cases = [{ dim: 16, grid: 4, clsToken: true }, { dim: 32, grid: 3, clsToken: false }, { dim: 512, grid: 14, clsToken: true }];
    const ref = runDinoMaeRef<{ sincos: number[][] }>({ sincos: cases }).sincos;
    cases.forEach((c, i) => {
      const got = get2dSincosPosEmbed(c.dim, c.grid, { clsToken: c.clsToken });
      assert.deepEqual(got.shape, [c.grid ** 2 + (c.clsToken ? 1 : 0), c.dim]);
      const values = flat(got);
      const worst = Math.max(...values.map((v, j) => Math.abs(v - ref[i][j])));
      assert.ok(worst <= 1e-6, `case ${i}: max |diff| ${worst}`);
      got.dispose();
    });
    assert.throws(() => get2dSincosPosEmbed(6, 2), /divisible by 4/);
  });

  it("MAEDecoder matches models_mae.py's forward_decoder (same weights: prediction and grads)", () => {
    torch.manualSeed(5);
    const cfg = { embedDim: 12, gridSize: 3, patchSize: 2, inChannels: 3, decoderDim: 16, decoderDepth: 2, decoderHeads: 4 };
    const dec = new MAEDecoder(cfg);
    try {
      const [B, L, K] = [2, 9, 3];
      const { idsKeep, idsRestore } = randomMasking(B, L, 0.6, { generator: new torch.Generator().manualSeed(1) });
      assert.deepEqual(idsKeep.shape, [B, K]);
      const latent = torch.keep(torch.randn([B, 1 + K, cfg.embedDim]).requiresGrad_(true));
      const r = torch.keep(torch.randn([B, L, 12]));
      const pack = (t: Tensor): { shape: number[]; data: number[] } => ({ shape: [...t.shape], data: flat(t) });
      const state = Object.fromEntries([...dec.stateDict()].map(([k, t]) => [k, pack(t)]));
      const ref = runDinoMaeRef<{ maeDecoder: { keys: string[]; pred: number[]; grads: Record<string, number[]> } }>({
        maeDecoder: { ...cfg, state, latent: pack(latent), idsRestore: pack(idsRestore), r: pack(r) } }).maeDecoder;
      assert.deepEqual([...dec.stateDict().keys()], ref.keys);
      const close = (got: number[], want: number[], what: string): void => {
        assert.equal(got.length, want.length, what);
        const worst = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
        assert.ok(worst <= 2e-5, `${what}: max |diff| ${worst}`);
      };
      torch.scope(() => {
        const pred = dec.forward(latent, idsRestore);
        assert.deepEqual(pred.shape, [B, L, 12]);
        close(flat(pred), ref.pred, 'prediction');
        pred.mul(r).sum().backward();
      });
      close(flat(latent.grad!), ref.grads.latent, 'latent.grad');
      for (const [k, p] of dec.namedParameters()) {
        if (ref.grads[k] === undefined) assert.equal(p.grad, undefined, `${k} has no grad`);
        else close(flat(p.grad!), ref.grads[k], `${k}.grad`);
      }
      [latent, r, idsKeep, idsRestore].forEach((t) => t.dispose());
    } finally {
      dec.dispose();
    }
  });

  it('random masking keeps int(L * (1 - r)) patches per sample; idsRestore inverts the shuffle', () => {
    assert.equal(numKept(196, 0.75), 49);
    assert.equal(numKept(49, 0.75), 12);
    assert.equal(numKept(10, 0.9), 1);
    assert.throws(() => numKept(3, 0.9), /keeps none/);
    torch.scope(() => {
      const g = new torch.Generator().manualSeed(0);
      const [B, L] = [5, 16];
      const { idsKeep, idsRestore, mask } = randomMasking(B, L, 0.75, { generator: g });
      assert.deepEqual(idsKeep.shape, [B, 4]);
      assert.equal(idsKeep.dtype, 'int64');
      assert.deepEqual(flat(mask.sum(1)), new Array(B).fill(12));
      const idsShuffle = idsRestore.argsort(1); // (B, L)
      const arange = torch.arange(L).unsqueeze(0).expand([B, L]);
      assert.deepEqual(ints(idsShuffle.gather(1, idsRestore)), ints(arange.contiguous()), 'shuffle then restore');
      assert.deepEqual(ints(idsShuffle.narrow(1, 0, 4)), ints(idsKeep), 'kept = first of the shuffle');
      assert.deepEqual(flat(mask.gather(1, idsKeep)), new Array(B * 4).fill(0), 'kept patches are 0 in the mask');
      const rows = ints(idsKeep);
      for (let b = 0; b < B; b++) assert.equal(new Set(rows.slice(4 * b, 4 * b + 4)).size, 4, 'distinct kept patches');
      // different samples get different masks; the same generator seed gives the same mask
      assert.notDeepEqual(rows.slice(0, 4), rows.slice(4, 8));
      const again = randomMasking(B, L, 0.75, { generator: new torch.Generator().manualSeed(0) });
      assert.deepEqual(ints(again.idsKeep), rows);
    });
  });

  it("has MAE's keys and shapes, a fixed decoder_pos_embed, and trains only what MAE trains", () => {
    torch.manualSeed(0);
    const method = makeMae({ decoderDepth: 2 });
    try {
      const sd = method.stateDict();
      const keys = [...sd.keys()];
      assert.deepEqual(keys.slice(0, 3), ['mask_token', 'decoder_pos_embed', 'encoder.cls_token']);
      const decoderKeys = keys.filter((k) => !k.startsWith('encoder.'));
      assert.deepEqual(decoderKeys, ['mask_token', 'decoder_pos_embed', 'decoder_embed.weight', 'decoder_embed.bias',
        ...[0, 1].flatMap((i) => ['norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight',
          'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight',
          'mlp.fc2.bias'].map((k) => `decoder_blocks.${i}.${k}`)),
        'decoder_norm.weight', 'decoder_norm.bias', 'decoder_pred.weight', 'decoder_pred.bias']);
      assert.deepEqual(sd.get('mask_token')!.shape, [1, 1, 32]);
      assert.deepEqual(sd.get('decoder_pos_embed')!.shape, [1, 17, 32]);
      assert.deepEqual(sd.get('decoder_pred.weight')!.shape, [4 * 4 * 3, 32]);
      assert.equal(method.decoder.decoderPosEmbed.requiresGrad, false);
      assert.equal(method.encoder.posEmbed.requiresGrad, false, 'encoder pos_embed is sin-cos and fixed, as MAE');
      assert.equal(maxDiff(method.encoder.posEmbed, get2dSincosPosEmbed(32, 4, { clsToken: true }).unsqueeze(0)), 0);
      assert.equal(method.name, 'mae');
      assert.deepEqual(method.recipe, { optimizer: 'adamw', lr: 1.5e-4, lrScaling: 'linear', betas: [0.9, 0.95],
        weightDecay: 0.05, warmupEpochs: 40, finalLrRatio: 0 });
      const trained = method.parameterGroups(0.05).flatMap((g) => g.params);
      assert.equal(trained.length, method.parameters().length - 2, 'all but the two sin-cos embeddings');
      // mae_vit_base_patch16's decoder: decoder_embed 768x512, mask token, pos embed 197x512, 8 blocks of
      // 3,152,384, decoder_norm, decoder_pred 512x768 (bias included)
      const base = new MAEDecoder({ embedDim: 768, gridSize: 14, patchSize: 16, inChannels: 3 });
      assert.equal(base.numParameters(), 26_109_184);
      base.dispose();
    } finally {
      method.dispose();
    }
  });

  it('needs a ViT: a ResNet name or instance gives a clear error before any work', () => {
    assert.throws(() => makeMae({ maskratio: 0.5 } as Partial<MAEOptions>), /Unknown option\(s\) 'maskratio' for MAE/);
    assert.throws(() => makeMae({ maskRatio: 0.99 }), /keeps none/);
    assert.throws(() => new MAE({ encoder: 'resnet18' }), /MAE needs a ViT encoder \(vit_\*\) but received 'resnet18'/);
    assert.throws(() => new MAE({ encoder: new ResNet(basicBlock, [1, 1, 1, 1], { numClasses: 0 }) }),
      /MAE needs a ViT encoder \(vit_\*\) but received ResNet/);
  });

  it('a few AdamW steps on a fixed batch (and fixed masks) lower the loss with a flat live-tensor count', () => {
    torch.manualSeed(1);
    const method = makeMae();
    const x = torch.keep(torch.randn([8, 3, 16, 16], { generator: new torch.Generator().manualSeed(2) }));
    const opt = new AdamW(method.parameterGroups(0.05), { lr: 2e-3, betas: [0.9, 0.95] });
    try {
      method.train();
      const losses: number[] = [];
      const live: number[] = [];
      for (let i = 0; i < 10; i++) {
        torch.manualSeed(100); // the same masks every step
        losses.push(torch.scope(() => {
          opt.zeroGrad();
          const { loss, embedding } = method.trainingStep([x], at(i));
          assert.deepEqual(embedding!.shape, [8, 32]);
          loss.backward();
          method.beforeOptimizerStep(at(i));
          opt.step();
          method.afterOptimizerStep(at(i));
          return loss.item() as number;
        }));
        live.push(torch.memory().tensors);
      }
      const shown = losses.map((l) => l.toFixed(4)).join(' ');
      assert.ok(losses.every(Number.isFinite), shown);
      assert.ok(losses.at(-1)! < 0.8 * losses[0], `loss did not fall by 20%: ${shown}`);
      assert.deepEqual(live.slice(2), new Array(live.length - 2).fill(live[2]), `live tensors ${live}`);
      assert.equal(method.decoder.decoderPosEmbed.grad, undefined);
    } finally {
      x.dispose();
      method.dispose();
    }
  });

  it('reconstruct puts patch statistics back; writeReconstruction writes a decodable PNG of original | masked | reconstruction', async () => {
    torch.manualSeed(3);
    const method = makeMae({ encoder: tinyVit({ inChannels: 1 }) });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-mae-'));
    const x = torch.keep(torch.randn([3, 1, 16, 16]));
    try {
      torch.scope(() => {
        const { pred, mask, pixelMask } = method.reconstruct(x, { generator: new torch.Generator().manualSeed(0) });
        assert.deepEqual(pred.shape, [3, 1, 16, 16]);
        assert.deepEqual(mask.shape, [3, 16]);
        assert.deepEqual(pixelMask.shape, [3, 1, 16, 16]);
        assert.equal(pred.requiresGrad, false);
        assert.deepEqual(flat(pixelMask.sum([1, 2, 3])), [12 * 16, 12 * 16, 12 * 16]);
        // normPixLoss: the decoder's output is per-patch standardised; reconstruct
        // puts each patch back on the input patch's mean and std.
        const raw = torch.noGrad(() => method.forwardMasked(x, { generator: new torch.Generator().manualSeed(0) }).pred);
        const target = patchify(x, 4); // (B, L, 16)
        const expected = raw.mul(target.var(-1, true, true).add(1e-6).sqrt()).add(target.mean(-1, true));
        assert.ok(maxDiff(patchify(pred, 4), expected) < 1e-5);
      });
      const file = path.join(dir, 'recon.png');
      const info = await writeReconstruction(file, method, x, { mean: [0.5], std: [0.25], n: 2 });
      // 3 columns and 2 rows of 16 px cells with 2 px padding, scaled by 4 (cells of at least 64 px)
      assert.deepEqual(info, { width: (3 * 18 + 2) * 4, height: (2 * 18 + 2) * 4, channels: 1 });
      const meta = await sharp(file).metadata();
      assert.equal(meta.format, 'png');
      assert.deepEqual([meta.width, meta.height], [224, 152]);
      const { data } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
      assert.ok(new Set(data).size > 10, 'the picture is not blank');
      assert.equal(method.training, true, 'training mode restored');
      assert.deepEqual(fs.readdirSync(dir), ['recon.png'], 'no temporary file left');
    } finally {
      x.dispose();
      method.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function maxDiff(a: Tensor, b: Tensor): number {
  return torch.scope(() => a.detach().sub(b).abs().max().item() as number);
}
