import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose } from '../../helpers/assert-close';

describe('nn/layers/conv', () => {
  it('Conv2d: output sizes for stride, padding, dilation and unbatched input', () => {
    const shape = (conv: nn.Conv2d, input: number[]): readonly number[] =>
      torch.scope(() => conv.forward(torch.zeros(input)).shape);
    assert.deepEqual(shape(new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }), [2, 3, 32, 32]), [2, 64, 16, 16]);
    assert.deepEqual(shape(new nn.Conv2d(3, 4, 3, { dilation: 2 }), [1, 3, 9, 9]), [1, 4, 5, 5]);
    assert.deepEqual(shape(new nn.Conv2d(2, 4, [3, 1], { padding: 'same' }), [1, 2, 5, 6]), [1, 4, 5, 6]);
    assert.deepEqual(shape(new nn.Conv2d(2, 4, 3, { padding: 'valid' }), [2, 5, 6]), [4, 3, 4]);
  });

  it('Conv2d: a 1x1 kernel with known weights is a per-pixel linear map', () => {
    const conv = new nn.Conv2d(2, 1, 1);
    conv.loadStateDict({ weight: torch.tensor([[[[2]], [[-1]]]]), bias: torch.tensor([0.5]) });
    const x = torch.tensor([[[[1, 2]], [[3, 4]]]]); // (1, 2, 1, 2)
    assertClose(conv.forward(x), [[[[2 - 3 + 0.5, 4 - 4 + 0.5]]]]);
    conv.dispose();
  });

  it('Conv2d: weight shape with groups, printout as PyTorch', () => {
    const conv = new nn.Conv2d(4, 8, 3, { groups: 2, stride: 2, padding: 1, dilation: 1, bias: false });
    assert.deepEqual(conv.weight.shape, [8, 2, 3, 3]);
    assert.equal(conv.toString(), 'Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False)');
    assert.equal(new nn.Conv2d(3, 6, [1, 3], { dilation: 2 }).toString(),
      'Conv2d(3, 6, kernel_size=(1, 3), stride=(1, 1), dilation=(2, 2))');
    assert.equal(new nn.Conv2d(3, 6, 3, { padding: 'same' }).toString(),
      'Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 1), padding=same)');
    conv.dispose();
  });

  it('Conv2d: rejects bad arguments and inputs with actionable messages', () => {
    assert.throws(() => new nn.Conv2d(0, 4, 3), /Expected positive integer for inChannels but received 0/);
    assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /Expected inChannels \(3\) divisible by groups \(2\)/);
    assert.throws(() => new nn.Conv2d(4, 3, 3, { groups: 2 }), /Expected outChannels \(3\) divisible by groups \(2\)/);
    assert.throws(() => new nn.Conv2d(3, 4, [3, 3, 3] as unknown as number), /pair of them for kernelSize/);
    assert.throws(() => new nn.Conv2d(3, 4, 3, { padding: -1 }), /non-negative integer or a pair of them for options.padding/);
    assert.throws(() => new nn.Conv2d(3, 4, 3, { stride: 2, padding: 'same' }), /stride 1 with padding 'same'/);
    const conv = new nn.Conv2d(3, 4, 3);
    assert.throws(() => conv.forward(torch.zeros([3, 8])), /Expected 3-D or 4-D input \(N, C, H, W\) or \(C, H, W\) for Conv2d but received shape \[3, 8\]/);
    assert.throws(() => conv.forward(torch.zeros([1, 5, 8, 8])), /aten::conv2d: .*expected input\[1, 5, 8, 8\] to have 3 channels/);
    conv.dispose();
  });

  it('ConvTranspose2d: output size, weight shape and printout', () => {
    const up = new nn.ConvTranspose2d(8, 4, 3, { stride: 2, padding: 1, outputPadding: 1 });
    assert.deepEqual(up.weight.shape, [8, 4, 3, 3]);
    assert.deepEqual(torch.scope(() => up.forward(torch.zeros([2, 8, 5, 5])).shape), [2, 4, 10, 10]);
    assert.equal(up.toString(), 'ConvTranspose2d(8, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))');
    assert.throws(() => new nn.ConvTranspose2d(8, 4, 3, { outputPadding: 1 }), /Expected outputPadding smaller than stride or dilation/);
    up.dispose();
  });
});
