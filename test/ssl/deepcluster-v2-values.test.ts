// DeepCluster v2 by value: the memory bank starts as unit rows and the
// assignments as int64 zeros; k = datasetSize is accepted; the dataset
// indices of any dtype pick the same targets; the refusals of progress.indices
// (not a tensor, not 1-D, another length) and of a bad k, by their messages.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { DeepClusterV2 } from '../../lib/ssl/deepcluster-v2';
import { TrainProgress } from '../../lib/ssl/method';

const B = 4;
const at = (step: number, indices?: Tensor): TrainProgress => ({ step, totalSteps: 100, epoch: 0, stepsPerEpoch: 10, indices });

function make(extra: Record<string, unknown> = {}): DeepClusterV2 {
  torch.manualSeed(12);
  return new DeepClusterV2({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5,
    datasetSize: 10, numPrototypes: [3, 2], kmeansIterations: 2, localCrops: 1, ...extra } as never).to({ dtype: 'float64' });
}

function crops(): Tensor[] {
  const g = new torch.Generator().manualSeed(13);
  return [8, 8, 4].map((s) => torch.randn([B, 1, s, s], { dtype: 'float64', generator: g }));
}

function refusal(m: DeepClusterV2, indices: unknown, received: string): void {
  assert.throws(() => m.trainingStep(crops(), at(0, indices as Tensor)), (e: Error) => e.message ===
    `DeepClusterV2 needs the dataset indices of the batch's 4 images as progress.indices (the Trainer passes them) to keep its ` +
    `memory bank; received ${received}`);
}

describe('ssl: DeepCluster v2 by value', function () {
  this.timeout(60000);

  it('the bank starts as unit rows (2, N, outDim) and the assignments as int64 zeros; k = datasetSize is accepted', () => {
    const m = make();
    assert.deepEqual(m.memoryBank.shape, [2, 10, 5]);
    const norms = Array.from(m.memoryBank.norm(2, [2]).flatten().toTypedArray() as Float64Array);
    norms.forEach((n) => assert.ok(Math.abs(n - 1) < 1e-6, `row norm ${n}`));
    assert.equal(m.assignments.dtype, 'int64');
    assert.deepEqual(m.assignments.shape, [2, 10]);
    assert.equal(make({ numPrototypes: [10] }).prototypes.weights()[0].shape[0], 10);
    assert.throws(() => make({ numPrototypes: [3, 0] }), (e: Error) =>
      e.message === 'Expected positive integer for DeepClusterV2 option numPrototypes[1] but received 0');
  });

  it('progress.indices of another dtype pick the same clusters and bank rows as int64 ones', () => {
    const views = crops();
    const run = (indices: Tensor): number[] => {
      const m = make();
      m.train();
      const loss = Number(m.trainingStep(views, at(0, indices)).loss.item());
      return [loss, ...Array.from(m.memoryBank.flatten().toTypedArray() as Float64Array)];
    };
    const int64 = run(torch.tensor([7, 2, 9, 0], { dtype: 'int64' }));
    assert.deepEqual(run(torch.tensor([7, 2, 9, 0], { dtype: 'float64' })), int64);
    assert.deepEqual(run(torch.tensor([7, 2, 9, 0], { dtype: 'int32' })), int64);
  });

  it('refuses progress.indices that are missing, not 1-D or of another length, naming what it received', () => {
    const m = make();
    refusal(m, undefined, 'undefined');
    refusal(m, torch.zeros([4, 1], { dtype: 'int64' }), 'shape [4, 1]');
    refusal(m, torch.zeros([3], { dtype: 'int64' }), 'shape [3]');
  });
});
