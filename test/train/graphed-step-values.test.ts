// GraphedStep's checks and bookkeeping on the CPU (mode 'rehearse'): the
// refusals by message, warm-up steps run without the capture checks and the
// rest under them, static buffers that keep their memory format, and dispose.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { GraphedStep } from '../../lib/train/graphed-step';

describe('GraphedStep by value (rehearse, CPU)', () => {
  it('refuses a body that is not a function and inputs that are not an array of tensors, by message', () => {
    assert.throws(() => new GraphedStep(5 as never), { name: 'TypeError', message: 'Expected a function for the step body but received 5' });
    const step = new GraphedStep((inputs: Tensor[]) => ({ y: inputs[0].mul(2) }), { mode: 'rehearse', warmupSteps: 1 });
    assert.equal(step.captured, false);
    assert.throws(() => step.run(5 as never), { name: 'TypeError', message: 'Expected an array of Tensors for the step inputs but received 5' });
    assert.throws(() => step.run([torch.ones([2]), 3 as never]), {
      name: 'TypeError', message: 'Expected an array of Tensors for the step inputs but received tensor([1., 1.]),3' });
    assert.deepEqual([...step.run([torch.ones([2])]).y.toTypedArray()], [2, 2]);
    assert.throws(() => step.run([torch.ones([2]), torch.ones([2])]), {
      name: 'RangeError', message: 'The graphed step takes 1 inputs (as at its first run) but received 2' });
    const refusal = (shape: string, got: string): string => `Input 0 of the graphed step must keep the shape, dtype and device of the first run ` +
      `(${shape}) but received ${got}: a captured step cannot change shapes (drop the last partial batch)`;
    assert.throws(() => step.run([torch.ones([3])]), { name: 'RangeError', message: refusal('[2] float32 on cpu', '[3] float32 on cpu') });
    assert.throws(() => step.run([torch.ones([2], { dtype: 'float64' })]), {
      name: 'RangeError', message: refusal('[2] float32 on cpu', '[2] float64 on cpu') });
    assert.throws(() => step.run([torch.ones([1, 2])]), { name: 'RangeError', message: refusal('[2] float32 on cpu', '[1, 2] float32 on cpu') });
    // The inputs are copied into the static buffers: the body sees each call's values.
    assert.deepEqual([...step.run([torch.tensor([3, 4])]).y.toTypedArray()], [6, 8]);
    assert.equal(step.captured, false); // rehearsing captures nothing
    step.dispose();
  });

  it('warm-up steps run as they are, the next ones under the capture checks (a host read is refused there)', () => {
    const reads: number[] = [];
    const step = new GraphedStep((inputs: Tensor[]) => {
      reads.push(Number(inputs[0].sum().item())); // a host read: not capturable
      return { y: inputs[0].add(1) };
    }, { mode: 'rehearse', warmupSteps: 2 });
    step.run([torch.ones([2])]);
    step.run([torch.ones([2])]);
    assert.deepEqual(reads, [2, 2]);
    assert.throws(() => step.run([torch.ones([2])]), /checkCapturable/);
    step.dispose();
    // The default warm-up is 3 steps.
    const calls: boolean[] = [];
    const d = new GraphedStep((inputs: Tensor[]) => { calls.push(torch.cuda.isCapturing()); return { y: inputs[0].add(1) }; }, { mode: 'rehearse' });
    for (let i = 0; i < 5; i++) d.run([torch.ones([1])]);
    assert.deepEqual(calls, [false, false, false, true, true]);
    assert.equal(d.warmupSteps, 3);
    d.dispose();
  });

  it('static buffers keep the first inputs\' memory format; dispose frees buffers and outputs', () => {
    const x = torch.randn([2, 3, 4, 4]).contiguous('channels_last');
    const strides: number[][] = [];
    const live = torch.memory().tensors;
    const step = new GraphedStep((inputs: Tensor[]) => { strides.push(inputs[0].stride()); return { y: inputs[0].mul(1) }; },
      { mode: 'rehearse', warmupSteps: 1 });
    step.run([x]);
    step.run([x]);
    assert.deepEqual(strides, [x.stride(), x.stride()]);
    assert.deepEqual(x.stride(), [48, 1, 12, 3]);
    step.dispose();
    assert.equal(torch.memory().tensors, live);
  });
});
