import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose } from '../../helpers/assert-close';

describe('nn/layers/pooling', () => {
  it('computes max, average and adaptive pooling, and flattens', () => {
    const x = torch.arange(16).to('float32').reshape([1, 1, 4, 4]);
    assertClose(new nn.MaxPool2d(2).forward(x), [[[[5, 7], [13, 15]]]]);
    assertClose(new nn.AvgPool2d(2).forward(x), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    assertClose(new nn.AdaptiveAvgPool2d(1).forward(x), [[[[7.5]]]]);
    assert.deepEqual(new nn.Flatten().forward(torch.zeros([8, 512, 1, 1])).shape, [8, 512]);
    assert.deepEqual(new nn.Flatten(0, 1).forward(torch.zeros([2, 3, 4])).shape, [6, 4]);
  });

  it('prints as torchvision\'s ResNet does', () => {
    assert.equal(new nn.MaxPool2d(3, { stride: 2, padding: 1 }).toString(),
      'MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)');
    assert.equal(new nn.AdaptiveAvgPool2d([1, 1]).toString(), 'AdaptiveAvgPool2d(output_size=(1, 1))');
    assert.equal(new nn.AvgPool2d(2).toString(), 'AvgPool2d(kernel_size=2, stride=2, padding=0)');
    assert.equal(new nn.Flatten().toString(), 'Flatten(start_dim=1, end_dim=-1)');
  });

  it('rejects bad sizes', () => {
    assert.throws(() => new nn.MaxPool2d(0), /Expected a positive integer or a pair of them for kernelSize but received 0/);
    assert.throws(() => new nn.AvgPool2d(2, { padding: -1 }), /for options.padding but received -1/);
    assert.throws(() => new nn.AdaptiveAvgPool2d([1, 2, 3] as unknown as number), /for outputSize/);
    assert.throws(() => new nn.Flatten(0.5), /Expected integer for startDim but received 0.5/);
  });
});
