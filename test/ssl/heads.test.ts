// Projection heads: lightly's layout (keys, shapes, bias only without batch
// norm), parameter counts, forward shapes and argument errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { ReLU } from '../../lib/nn/layers/activation';
import { LayerNorm } from '../../lib/nn/layers/layer-norm';
import {
  ProjectionHead, byolPredictionHead, byolProjectionHead, simclrProjectionHead,
} from '../../lib/ssl/heads/projection-head';

function shapes(head: ProjectionHead): [string, number[]][] {
  return [...head.stateDict()].map(([k, t]) => [k, [...t.shape]]);
}

describe('ssl heads: ProjectionHead', () => {
  it('simclrProjectionHead has lightly SimCLRProjectionHead keys and shapes', () => {
    const head = simclrProjectionHead(16, 32, 8);
    assert.deepEqual(shapes(head), [
      ['layers.0.weight', [32, 16]], // Linear without bias: batch norm follows
      ['layers.1.weight', [32]],
      ['layers.1.bias', [32]],
      ['layers.1.running_mean', [32]],
      ['layers.1.running_var', [32]],
      ['layers.1.num_batches_tracked', []],
      ['layers.3.weight', [8, 32]],
      ['layers.3.bias', [8]],
    ]);
    // 16*32 + 2*32 + 32*8 + 8, as lightly's SimCLRProjectionHead(16, 32, 8).
    assert.equal(head.numParameters(), 840);
    assert.deepEqual(head.forward(torch.randn([4, 16])).shape, [4, 8]);
    assert.equal(head.inDim, 16);
    assert.equal(head.outDim, 8);
  });

  it('defaults: SimCLR 2048 -> 128, BYOL projector 4096 -> 256 and predictor 256 -> 4096 -> 256', () => {
    assert.deepEqual(shapes(simclrProjectionHead(512)).filter(([k]) => k.endsWith('weight')).map(([, s]) => s),
      [[2048, 512], [2048], [128, 2048]]);
    const projector = byolProjectionHead(512);
    // 512*4096 + 2*4096 + 4096*256 + 256 (lightly's BYOLProjectionHead(512, 4096, 256)).
    assert.equal(projector.numParameters(), 3_154_176);
    const predictor = byolPredictionHead();
    assert.equal(predictor.numParameters(), 256 * 4096 + 2 * 4096 + 4096 * 256 + 256);
    assert.deepEqual(predictor.forward(projector.forward(torch.randn([3, 512]))).shape, [3, 256]);
  });

  it('builds custom blocks: explicit bias, own norm module, activation only', () => {
    const head = new ProjectionHead([
      { inDim: 6, outDim: 5, batchNorm: new LayerNorm(5), activation: new ReLU(), bias: true },
      { inDim: 5, outDim: 4, activation: new ReLU() },
      { inDim: 4, outDim: 3, bias: false },
    ]);
    assert.deepEqual([...head.stateDict().keys()], [
      'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias',
      'layers.3.weight', 'layers.3.bias', 'layers.5.weight',
    ]);
    const y = head.forward(torch.randn([2, 6]));
    assert.deepEqual(y.shape, [2, 3]);
  });

  it('rejects bad blocks with the argument named', () => {
    assert.throws(() => new ProjectionHead([]), /Expected a non-empty array of blocks for ProjectionHead but received \[\]/);
    assert.throws(() => new ProjectionHead([{ inDim: 4, outDim: 8 }, { inDim: 6, outDim: 2 }]),
      /Expected blocks\[1\]\.inDim to equal blocks\[0\]\.outDim \(8\) but received 6/);
    assert.throws(() => new ProjectionHead([{ inDim: 0, outDim: 8 }]),
      /Expected positive integer for blocks\[0\]\.inDim but received 0/);
    assert.throws(() => simclrProjectionHead(16, 2.5), /Expected positive integer for blocks\[0\]\.outDim but received 2\.5/);
    assert.throws(() => new ProjectionHead([{ inDim: 4, outDim: 8, activation: 'relu' as unknown as ReLU }]),
      /Expected a Module with forward for blocks\[0\]\.activation but received 'relu'/);
  });
});
