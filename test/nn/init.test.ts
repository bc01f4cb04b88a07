import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import * as nn from '../../lib/nn';
import { flat } from '../helpers/assert-close';
import { tensorsLeftBy } from '../helpers/tensors-left';

const stats = (t: torch.Tensor): { mean: number; std: number; min: number; max: number } => {
  const v = flat(t);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, std, min: v.reduce((a, b) => Math.min(a, b)), max: v.reduce((a, b) => Math.max(a, b)) };
};

describe('nn/init', () => {
  it('calculateGain and fans as PyTorch', () => {
    assert.equal(nn.init.calculateGain('linear'), 1);
    assert.equal(nn.init.calculateGain('conv2d'), 1);
    assert.equal(nn.init.calculateGain('tanh'), 5 / 3);
    assert.equal(nn.init.calculateGain('relu'), Math.SQRT2);
    assert.equal(nn.init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(nn.init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(nn.init.calculateGain('selu'), 0.75);
    assert.throws(() => nn.init.calculateGain('swish' as 'relu'), /Expected a known nonlinearity .* but received 'swish'/);
    assert.deepEqual(nn.init.calculateFanInAndFanOut(torch.empty([64, 3, 7, 7])), { fanIn: 147, fanOut: 3136 });
    assert.throws(() => nn.init.kaimingUniform_(torch.empty([5])), /at least 2 dimensions .* \[5\]/);
  });

  it('truncNormal_ stays within [a, b] with the truncated distribution\'s moments', () => {
    const t = nn.init.truncNormal_(torch.empty([20000]), { std: 1, a: -1, b: 1 });
    const s = stats(t);
    assert.ok(s.min >= -1 && s.max <= 1);
    assert.ok(Math.abs(s.mean) < 0.02, `mean ${s.mean}`);
    // The standard normal truncated to [-1, 1] has standard deviation 0.5379.
    assert.ok(Math.abs(s.std - 0.5379) < 0.01, `std ${s.std}`);
    const vit = stats(nn.init.truncNormal_(torch.empty([20000]), { std: 0.02 }));
    assert.ok(Math.abs(vit.std - 0.02) < 0.001, `std ${vit.std}`);
    const shifted = stats(nn.init.truncNormal_(torch.empty([5000]), { mean: 5, std: 0.1, a: 4.9, b: 5.3 }));
    assert.ok(shifted.min >= 4.9 && shifted.max <= 5.3);
    assert.throws(() => nn.init.truncNormal_(torch.empty([2]), { a: 1, b: 0 }), /Expected options.a < options.b/);
    assert.throws(() => nn.init.truncNormal_(torch.empty([2]), { std: 0 }), /Expected a positive number for options.std/);
  });

  it('truncNormal_\'s samplers: both keep [a, b] and the moments; the default follows the libtorch version', () => {
    for (const sampler of ['inverse-cdf', 'rejection'] as const) {
      const s = stats(nn.init.truncNormal_(torch.empty([20000]), { std: 1, a: -1, b: 1, sampler }));
      assert.ok(s.min >= -1 && s.max <= 1, `${sampler}: [${s.min}, ${s.max}]`);
      assert.ok(Math.abs(s.std - 0.5379) < 0.01, `${sampler}: std ${s.std}`);
      // Mean outside [a, b] (N(0, 1) on [1, 3]: mean 1.5100, std 0.4166), the rejection sampler's uniform branch.
      const tail = stats(nn.init.truncNormal_(torch.empty([20000]), { a: 1, b: 3, sampler }));
      assert.ok(tail.min >= 1 && tail.max <= 3, `${sampler}: [${tail.min}, ${tail.max}]`);
      assert.ok(Math.abs(tail.mean - 1.51) < 0.01 && Math.abs(tail.std - 0.4166) < 0.01, `${sampler}: ${JSON.stringify(tail)}`);
    }
    const byVersion = ['1.13.0', '2.6.0', '2.11.1', '2.12.0', '2.14.1', '3.0.0', 'unknown']
      .map((v) => nn.init.defaultTruncNormalSampler(v));
    assert.deepEqual(byVersion, ['inverse-cdf', 'inverse-cdf', 'inverse-cdf', 'rejection', 'rejection', 'rejection', 'inverse-cdf']);
    assert.equal(nn.init.defaultTruncNormalSampler(), nn.init.defaultTruncNormalSampler(torch.config().torchVersion));
    // The default is the version's: the same draws as naming it.
    const draw = (sampler?: nn.init.TruncNormalSampler): number[] =>
      flat(nn.init.truncNormal_(torch.empty([50]), { a: -1, b: 1, sampler, generator: new torch.Generator().manualSeed(3) }));
    assert.deepEqual(draw(), draw(nn.init.defaultTruncNormalSampler()));
    assert.notDeepEqual(draw('inverse-cdf'), draw('rejection'));
    // Neither sampler leaves a tensor behind (the rejection one makes masks, redraws and buffers; both branches).
    const t = torch.empty([400]);
    for (const options of [{ sampler: 'inverse-cdf' }, { a: -1, b: 1, sampler: 'rejection' }, { a: 1, b: 3, sampler: 'rejection' }] as const) {
      assert.equal(tensorsLeftBy(() => nn.init.truncNormal_(t, options)), 0, JSON.stringify(options));
    }
    assert.throws(() => nn.init.truncNormal_(torch.empty([2]), { sampler: 'box-muller' as 'rejection' }),
      /Expected 'inverse-cdf' or 'rejection' for options.sampler but received 'box-muller'/);
  });

  it('kaiming and xavier scale with fan and gain', () => {
    const k = stats(nn.init.kaimingNormal_(torch.empty([256, 128, 3, 3]), { mode: 'fan_out', nonlinearity: 'relu' }));
    assert.ok(Math.abs(k.std - Math.sqrt(2 / (256 * 9))) < 0.0005, `std ${k.std}`);
    const u = stats(nn.init.kaimingUniform_(torch.empty([300, 200])));
    const bound = Math.sqrt(2) * Math.sqrt(3 / 200);
    assert.ok(u.min >= -bound && u.max <= bound && u.max > 0.95 * bound);
    const x = stats(nn.init.xavierUniform_(torch.empty([300, 200]), { gain: 2 }));
    const xb = 2 * Math.sqrt(6 / 500);
    assert.ok(x.min >= -xb && x.max <= xb && x.max > 0.95 * xb);
    const xn = stats(nn.init.xavierNormal_(torch.empty([300, 200])));
    assert.ok(Math.abs(xn.std - Math.sqrt(2 / 500)) < 0.002);
    assert.throws(() => nn.init.kaimingNormal_(torch.empty([2, 2]), { mode: 'fan' as 'fan_in' }), /Expected 'fan_in' or 'fan_out' for options.mode/);
  });

  it('works in place without recording gradients and returns the tensor', () => {
    const p = torch.empty([3, 3]).requiresGrad_();
    for (const fn of [
      () => nn.init.zeros_(p), () => nn.init.ones_(p), () => nn.init.constant_(p, 2), () => nn.init.normal_(p),
      () => nn.init.uniform_(p), () => nn.init.truncNormal_(p), () => nn.init.kaimingUniform_(p), () => nn.init.xavierNormal_(p),
    ]) {
      assert.equal(fn(), p);
      assert.equal(p.requiresGrad, true);
    }
    nn.init.constant_(p, 0.5);
    assert.deepEqual(flat(p), Array(9).fill(0.5));
    assert.throws(() => nn.init.normal_({} as torch.Tensor), /Expected a Tensor for tensor/);
  });

  it('draws from a given generator reproducibly', () => {
    const a = nn.init.truncNormal_(torch.empty([5]), { std: 0.02, generator: new torch.Generator().manualSeed(7) });
    const b = nn.init.truncNormal_(torch.empty([5]), { std: 0.02, generator: new torch.Generator().manualSeed(7) });
    assert.deepEqual(flat(a), flat(b));
  });
});
