// ResNet: torchvision's keys, initialisation, options and memory formats.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import * as models from '../../lib/models';
import { BatchNorm2d, Conv2d, Identity } from '../../lib/nn';

type Tensor = torch.Tensor;

const std = (t: Tensor): number => t.detach().std().item() as number;

describe('models: ResNet', function () {
  this.timeout(120000);

  it('has torchvision state-dict keys and shapes', () => {
    const net = models.resnet18();
    try {
      const sd = net.stateDict();
      const keys = [...sd.keys()];
      assert.deepEqual(keys.slice(0, 7), ['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var',
        'bn1.num_batches_tracked', 'layer1.0.conv1.weight']);
      assert.deepEqual(keys.slice(-2), ['fc.weight', 'fc.bias']);
      assert.equal(keys.length, 122); // torchvision resnet18().state_dict()
      assert.deepEqual(sd.get('conv1.weight')!.shape, [64, 3, 7, 7]);
      assert.deepEqual(sd.get('layer2.0.downsample.0.weight')!.shape, [128, 64, 1, 1]);
      assert.deepEqual(sd.get('layer2.0.downsample.1.running_var')!.shape, [128]);
      assert.ok(!sd.has('layer1.0.downsample.0.weight'), 'layer1 of ResNet-18 keeps its shape: no downsample');
      assert.deepEqual(sd.get('fc.weight')!.shape, [1000, 512]);
    } finally {
      net.dispose();
    }
    const r50 = models.resnet50({ numClasses: 0 });
    try {
      const sd = r50.stateDict();
      assert.equal(sd.size, 318); // torchvision resnet50().state_dict() has 320, less fc.weight and fc.bias
      assert.deepEqual(sd.get('layer1.0.downsample.0.weight')!.shape, [256, 64, 1, 1]);
      assert.deepEqual(sd.get('layer4.2.conv3.weight')!.shape, [2048, 512, 1, 1]);
      assert.deepEqual(sd.get('layer3.0.conv2.weight')!.shape, [256, 256, 3, 3]);
      assert.equal((r50.layer3.at(0) as models.Bottleneck).conv2.stride[0], 2, 'stride on the 3x3 (v1.5)');
      assert.ok(r50.fc instanceof Identity);
    } finally {
      r50.dispose();
    }
  });

  it('initialises as torchvision: kaiming normal fan_out for convolutions, BN ones and zeros', () => {
    torch.manualSeed(0);
    const net = models.resnet34();
    try {
      for (const [name, m] of net.namedModules()) {
        if (m instanceof Conv2d) {
          const [out, , kh, kw] = m.weight.shape;
          const expected = Math.sqrt(2 / (out * kh * kw));
          if (m.weight.numel() >= 4096) {
            assert.ok(Math.abs(std(m.weight) / expected - 1) < 0.1, `${name}: std ${std(m.weight)}, expected ${expected}`);
          }
        } else if (m instanceof BatchNorm2d) {
          assert.equal(m.weight!.min().item(), 1, name);
          assert.equal(m.bias!.abs().max().item(), 0, name);
        }
      }
      // fc keeps Linear's default: U(-1/sqrt(512), 1/sqrt(512)).
      const bound = 1 / Math.sqrt(512);
      assert.ok((net.fc as unknown as { weight: Tensor }).weight.abs().max().item() as number <= bound);
    } finally {
      net.dispose();
    }
  });

  it('zeroInitResidual zeroes the last BN gamma of every block, so each block starts as relu(identity)', () => {
    for (const build of [models.resnet18, models.resnet50]) {
      const net = build({ zeroInitResidual: true, numClasses: 0 });
      try {
        let blocks = 0;
        for (const m of net.modules()) {
          if (m instanceof models.BasicBlock || m instanceof models.Bottleneck) {
            blocks++;
            assert.equal(m.lastNorm.weight!.abs().max().item(), 0);
            assert.equal(m.bn1.weight!.min().item(), 1);
          }
        }
        assert.equal(blocks, build === models.resnet18 ? 8 : 16);
        net.eval();
        const block = net.layer1.at(1) as models.BasicBlock | models.Bottleneck;
        torch.scope(() => {
          const x = torch.rand([2, block instanceof models.BasicBlock ? 64 : 256, 8, 8]);
          // bn's running stats are (0, 1) so eval-mode bn3/bn2 output is its bias: 0.
          const y = torch.noGrad(() => block.forward(x));
          assert.ok(y.sub(x).abs().max().item() as number < 1e-6);
        });
      } finally {
        net.dispose();
      }
    }
  });

  it('smallImages: 3x3 stride-1 conv1 under the same key, no max-pool: 32 px keeps a 4x4 map', () => {
    const net = models.resnet18({ smallImages: true, inChannels: 1, numClasses: 0 });
    try {
      assert.deepEqual(net.conv1.weight.shape, [64, 1, 3, 3]);
      assert.deepEqual(net.conv1.stride, [1, 1]);
      assert.equal(net.numParameters(), 11_689_512 - 512 * 1000 - 1000 - 64 * 3 * 49 + 64 * 9);
      torch.scope(() => {
        const x = torch.randn([2, 1, 32, 32]);
        assert.deepEqual(net.forwardFeatures(x).shape, [2, 512, 4, 4]);
        assert.deepEqual(net.forward(x).shape, [2, 512]);
      });
    } finally {
      net.dispose();
    }
  });

  it('accepts channels_last inputs and weights with the same result', () => {
    torch.manualSeed(1);
    const net = models.resnet18({ smallImages: true, numClasses: 10 });
    try {
      net.eval();
      torch.scope(() => {
        const x = torch.randn([2, 3, 32, 32]);
        const ref = torch.noGrad(() => net.forward(x));
        net.to({ memoryFormat: 'channels_last' });
        assert.deepEqual(net.conv1.weight.stride(), [27, 1, 9, 3]); // channels_last
        const xl = x.contiguous('channels_last');
        const y = torch.noGrad(() => net.forward(xl));
        assert.ok(y.sub(ref).abs().max().item() as number < 1e-4);
        // and a training step runs in that layout
        net.train();
        const out = net.forward(xl.clone().requiresGrad_());
        out.sum().backward();
        assert.deepEqual(net.conv1.weight.grad!.shape, [64, 3, 3, 3]);
      });
    } finally {
      net.dispose();
    }
  });

  it('a training step leaves the live tensor count flat', () => {
    const net = models.resnet18({ smallImages: true, numClasses: 10 });
    try {
      const step = (): void => torch.scope(() => {
        net.zeroGrad();
        net.forward(torch.randn([2, 3, 16, 16])).logsumexp(1).sum().backward();
      });
      step();
      const before = torch.memory().tensors;
      for (let i = 0; i < 3; i++) step();
      assert.equal(torch.memory().tensors, before);
    } finally {
      net.dispose();
    }
  });
});
