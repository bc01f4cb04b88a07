// MAEDecoder's checks and its less-travelled paths by value: each refusal by
// its exact message (the decoder width against the heads and the sin-cos
// embedding, idsRestore's rank, batch, dtype and length, the patch grid), the
// sin-cos embedding of a rectangular grid, the position embedding computed
// again for another grid, the Xavier-initialised Linears with zero biases,
// and the repr.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Linear } from '../../lib/nn/layers/linear';
import { MAEDecoder, get2dSincosPosEmbed } from '../../lib/ssl/mae-decoder';
import { refuses } from '../helpers/refuses';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);

describe('ssl: MAEDecoder by value (refusals, grids, initialisation)', function () {
  this.timeout(60000);

  const make = (o: Record<string, unknown> = {}): MAEDecoder =>
    new MAEDecoder({ embedDim: 8, gridSize: 2, patchSize: 2, inChannels: 1, decoderDim: 8, decoderDepth: 1, decoderHeads: 2, ...o } as never);

  it('refuses a width the heads or the embedding cannot split, and bad idsRestore and grids, by their messages', () => {
    refuses(() => make({ decoderDim: 12, decoderHeads: 8 }), 'Expected decoderDim (12) divisible by decoderHeads (8)');
    refuses(() => make({ decoderDim: 6, decoderHeads: 2 }), 'Expected decoderDim divisible by 4 (sin-cos position embedding) but received 6');
    refuses(() => make({ decoderDepth: 0 }), 'Expected positive integer for options.decoderDepth but received 0');
    const d = make();
    const latent = torch.zeros([2, 3, 8]); // class token + 2 kept
    const ids = torch.tensor([[0, 1, 2, 3], [3, 2, 1, 0]], { dtype: 'int64' });
    assert.deepEqual(d.forward(latent, ids).shape, [2, 4, 4]);
    refuses(() => d.forward(latent, ids.to('int32')), 'Expected idsRestore int64 of shape (2, L >= 2) but received int32 [2, 4]');
    refuses(() => d.forward(latent, ids.narrow(0, 0, 1)), 'Expected idsRestore int64 of shape (2, L >= 2) but received int64 [1, 4]');
    refuses(() => d.forward(latent, ids.view([2, 4, 1])), 'Expected idsRestore int64 of shape (2, L >= 2) but received int64 [2, 4, 1]');
    refuses(() => d.forward(torch.zeros([2, 6, 8]), ids), 'Expected idsRestore int64 of shape (2, L >= 5) but received int64 [2, 4]');
    // Every patch kept (tokens - 1 = L) is accepted.
    assert.deepEqual(d.forward(torch.zeros([2, 5, 8]), ids).shape, [2, 4, 4]);
    refuses(() => d.forward(latent, ids, [1, 3]), 'Expected a patch grid of 4 patches but received 1x3');
    assert.equal(d.extraRepr(), 'decoderDim=8, depth=1, gridSize=2, patchSize=2');
    refuses(() => get2dSincosPosEmbed(6, 2), 'Expected embedDim divisible by 4 for a 2-D sin-cos embedding but received 6');
    refuses(() => get2dSincosPosEmbed(0, 2), 'Expected positive integer for embedDim but received 0');
    refuses(() => get2dSincosPosEmbed(4, [0, 2]), 'Expected positive integer for gridSize (height) but received 0');
    refuses(() => get2dSincosPosEmbed(4, [2, 1.5]), 'Expected positive integer for gridSize (width) but received 1.5');
  });

  it('a rectangular grid: sin/cos of the column then of the row, one row per patch; another grid gets its own embedding', () => {
    const e = values(get2dSincosPosEmbed(4, [2, 3])); // quarter 1, omega 1
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(Math.sin(j), Math.cos(j), Math.sin(i), Math.cos(i));
    e.forEach((v, k) => assert.ok(Math.abs(v - expected[k]) < 1e-6, `${k}: ${v} vs ${expected[k]}`));
    assert.equal(e.length, 24);
    torch.manualSeed(3);
    const d = make();
    d.eval();
    const latent = torch.randn([1, 2, 8], { generator: new torch.Generator().manualSeed(1) });
    const ids = torch.tensor([[5, 0, 1, 2, 3, 4]], { dtype: 'int64' });
    // A 2 x 3 grid: the same as the decoder's own layers with the 2 x 3 embedding added by hand.
    const out = d.forward(latent, ids, [2, 3]);
    const ref = torch.noGrad(() => {
      const x = d.decoderEmbed.forward(latent);
      const shuffled = torch.cat([x.narrow(1, 1, 1), d.maskToken.expand([1, 5, 8])], 1);
      const un = shuffled.gather(1, ids.unsqueeze(-1).expand([-1, -1, 8]));
      let y = torch.cat([x.narrow(1, 0, 1), un], 1).add(get2dSincosPosEmbed(8, [2, 3], { clsToken: true }).unsqueeze(0));
      for (const b of d.decoderBlocks) y = b.forward(y);
      return d.decoderPred.forward(d.decoderNorm.forward(y)).narrow(1, 1, 6);
    });
    values(out).forEach((v, k) => assert.ok(Math.abs(v - values(ref)[k]) < 1e-5, `${k}`));
    // The square grid of the decoder uses its stored embedding.
    const square = d.forward(torch.zeros([1, 2, 8]), torch.tensor([[0, 1, 2, 3]], { dtype: 'int64' }), [2, 2]);
    assert.deepEqual(square.shape, [1, 4, 4]);
  });

  it('a grid of the stored width but another height gets its own embedding (by hand), not the stored one', () => {
    torch.manualSeed(4);
    const d = make(); // gridSize 2
    d.eval();
    torch.scope(() => {
      const latent = torch.randn([1, 3, 8], { generator: new torch.Generator().manualSeed(2) });
      const ids = torch.tensor([[4, 0, 5, 1, 2, 3]], { dtype: 'int64' });
      // A 3 x 2 grid: h differs from gridSize, w equals it.
      const out = d.forward(latent, ids, [3, 2]);
      const ref = torch.noGrad(() => {
        const x = d.decoderEmbed.forward(latent);
        const shuffled = torch.cat([x.narrow(1, 1, 2), d.maskToken.expand([1, 4, 8])], 1);
        const un = shuffled.gather(1, ids.unsqueeze(-1).expand([-1, -1, 8]));
        let y = torch.cat([x.narrow(1, 0, 1), un], 1).add(get2dSincosPosEmbed(8, [3, 2], { clsToken: true }).unsqueeze(0));
        for (const b of d.decoderBlocks) y = b.forward(y);
        return d.decoderPred.forward(d.decoderNorm.forward(y)).narrow(1, 1, 6);
      });
      assert.deepEqual(out.shape, [1, 6, 4]);
      values(out).forEach((v, k) => assert.ok(Math.abs(v - values(ref)[k]) < 1e-5, `${k}`));
    });
    d.dispose();
  });

  it('another grid\'s embedding takes the decoder\'s dtype (a bfloat16 decoder stays bfloat16)', () => {
    torch.manualSeed(6);
    const d = make().to({ dtype: 'bfloat16' });
    d.eval();
    torch.scope(() => {
      const latent = torch.randn([1, 3, 8], { generator: new torch.Generator().manualSeed(2) }).to('bfloat16');
      const ids = torch.tensor([[4, 0, 5, 1, 2, 3]], { dtype: 'int64' });
      const out = d.forward(latent, ids, [3, 2]);
      assert.equal(out.dtype, 'bfloat16');
      assert.deepEqual(out.shape, [1, 6, 4]);
    });
    d.dispose();
  });

  it('its own grid uses the stored decoder_pos_embed (what a checkpoint loaded), not the sin-cos computed again', () => {
    torch.manualSeed(7);
    const d = make();
    d.eval();
    // A loaded state dict could hold any embedding; change the stored one so that it differs from the sin-cos values
    // (by random values: a constant shift of every channel would vanish in the blocks' layer norms).
    const shift = torch.randn([1, 5, 8], { generator: new torch.Generator().manualSeed(4) });
    torch.noGrad(() => d.decoderPosEmbed.add_(shift));
    torch.scope(() => {
      const latent = torch.randn([1, 2, 8], { generator: new torch.Generator().manualSeed(3) });
      const ids = torch.tensor([[2, 0, 3, 1]], { dtype: 'int64' });
      const out = d.forward(latent, ids, [2, 2]);
      const ref = torch.noGrad(() => {
        const x = d.decoderEmbed.forward(latent);
        const shuffled = torch.cat([x.narrow(1, 1, 1), d.maskToken.expand([1, 3, 8])], 1);
        const un = shuffled.gather(1, ids.unsqueeze(-1).expand([-1, -1, 8]));
        let y = torch.cat([x.narrow(1, 0, 1), un], 1).add(get2dSincosPosEmbed(8, 2, { clsToken: true }).unsqueeze(0).add(shift));
        for (const b of d.decoderBlocks) y = b.forward(y);
        return d.decoderPred.forward(d.decoderNorm.forward(y)).narrow(1, 1, 4);
      });
      values(out).forEach((v, k) => assert.ok(Math.abs(v - values(ref)[k]) < 1e-5, `${k}`));
    });
    shift.dispose();
    d.dispose();
  });

  it('initialisation: every Linear within the Xavier-uniform bound and past Linear\'s default one, zero biases', () => {
    torch.manualSeed(5);
    const d = make();
    const linears = [...d.modules()].filter((m): m is Linear => m instanceof Linear);
    assert.ok(linears.length >= 4);
    for (const l of linears) {
      const [out, inp] = l.weight.shape;
      const bound = Math.sqrt(6 / (inp + out));
      const w = values(l.weight);
      assert.ok(w.every((v) => Math.abs(v) <= bound + 1e-7), `within +-${bound}`);
      assert.ok(Math.max(...w.map(Math.abs)) > 0.5 * bound, 'spread over the Xavier bound');
      if (l.bias !== null) assert.ok(values(l.bias).every((v) => v === 0), 'zero bias');
    }
    // Linear's own init (kaiming, +-1/sqrt(in)) is narrower for the 8 -> 4 head: its weights reach past it.
    const pred = values(d.decoderPred.weight);
    assert.ok(Math.max(...pred.map(Math.abs)) > 1 / Math.sqrt(8), 'not the default init');
  });
});
