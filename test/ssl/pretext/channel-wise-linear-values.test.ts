// The context encoder's channel-wise fully connected layer by value: each
// output pixel against a loop over its channel's inputs, its initialisation
// bounds, its keys, and the exact refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { ChannelWiseLinear } from '../../../lib/ssl/pretext/channel-wise-linear';

describe('ssl/pretext: ChannelWiseLinear by value', () => {
  it('y[b, c] = x[b, c].flatten() @ weight[c] + bias[c], reshaped to h x w (a loop per channel)', () => {
    torch.manualSeed(3);
    const [B, C, h, w] = [2, 3, 2, 3];
    const layer = new ChannelWiseLinear(C, h, w);
    assert.deepEqual([layer.channels, layer.height, layer.width], [3, 2, 3]);
    const x = torch.randn([B, C, h, w], { generator: new torch.Generator().manualSeed(1) });
    const y = layer.forward(x);
    assert.deepEqual(y.shape, [B, C, h, w]);
    const xs = x.reshape([B, C, h * w]).toArray() as number[][][];
    const W = layer.weight.toArray() as number[][][];
    const bias = layer.bias.toArray() as number[][];
    const ys = y.reshape([B, C, h * w]).toArray() as number[][][];
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        for (let o = 0; o < h * w; o++) {
          let s = bias[c][o];
          for (let i = 0; i < h * w; i++) s += xs[b][c][i] * W[c][i][o];
          assert.ok(Math.abs(ys[b][c][o] - s) < 1e-5, `y[${b}, ${c}, ${o}] = ${ys[b][c][o]}, loop ${s}`);
        }
      }
    }
  });

  it('keys weight (C, hw, hw) and bias (C, hw), uniform in +-1/sqrt(hw) as a Linear of hw inputs', () => {
    torch.manualSeed(0);
    const layer = new ChannelWiseLinear(4, 3, 3);
    assert.deepEqual([...layer.stateDict()].map(([k, v]) => [k, v.shape]), [['weight', [4, 9, 9]], ['bias', [4, 9]]]);
    const bound = 1 / 3;
    for (const t of [layer.weight, layer.bias]) {
      const v = Array.from(t.detach().flatten().toTypedArray() as Float32Array);
      assert.ok(v.every((e) => Math.abs(e) <= bound), `within +-${bound}`);
      assert.ok(Math.max(...v) > 0.8 * bound && Math.min(...v) < -0.8 * bound, `spread over +-${bound}: ${Math.min(...v)}..${Math.max(...v)}`);
    }
    assert.equal(layer.extraRepr(), 'channels=4, size=(3, 3)');
  });

  it('refuses maps of another shape and bad sizes, with the exact message', () => {
    const layer = new ChannelWiseLinear(2, 3, 4);
    for (const shape of [[1, 3, 3, 4], [1, 2, 4, 4], [1, 2, 3, 5], [2, 3, 4], [1, 2, 3, 4, 1]]) { // the last: only its rank is wrong
      assert.throws(() => layer.forward(torch.zeros(shape)),
        { message: `Expected (B, 2, 3, 4) feature maps for ChannelWiseLinear but received [${shape.join(', ')}]` });
    }
    assert.deepEqual(layer.forward(torch.zeros([1, 2, 3, 4])).shape, [1, 2, 3, 4]);
    assert.throws(() => new ChannelWiseLinear(0, 3, 4), { message: 'Expected positive integer for ChannelWiseLinear channels but received 0' });
    assert.throws(() => new ChannelWiseLinear(2, 0, 4), { message: 'Expected positive integer for ChannelWiseLinear height but received 0' });
    assert.throws(() => new ChannelWiseLinear(2, 3, 1.5), { message: 'Expected positive integer for ChannelWiseLinear width but received 1.5' });
  });
});
