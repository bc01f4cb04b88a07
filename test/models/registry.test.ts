// Smoke tests over every registered model: names, parameter counts against
// torchvision/timm (and the closed-form count for ViT sizes too large to
// build in a test), a forward pass on a tiny input, and the registry's errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import * as models from '../../lib/models';
import * as F from '../../lib/nn/functional';

// torchvision 0.14 (`sum(p.numel() for p in resnetN().parameters())`).
const RESNET_COUNTS: Record<string, number> = {
  resnet18: 11_689_512, resnet34: 21_797_672, resnet50: 25_557_032, resnet101: 44_549_160,
};
// timm's published counts (1000-class head), for the variants that exist there.
const TIMM_COUNTS: Record<string, number> = {
  vit_tiny_patch16_224: 5_717_416, vit_small_patch16_224: 22_050_664, vit_base_patch16_224: 86_567_656,
  vit_large_patch16_224: 304_326_632, vit_huge_patch14_224: 632_045_800,
};

/** timm's ViT parameter count: patch conv, cls token, position embedding, 12 D^2 + 13 D per block, norm, head. */
function vitCount(size: models.VitSize, p: number, numClasses = 1000, inChannels = 3, imgSize = 224): number {
  const { embedDim: D, depth } = models.VIT_SIZES[size];
  const n = (imgSize / p) ** 2;
  const head = numClasses > 0 ? D * numClasses + numClasses : 0;
  return inChannels * p * p * D + D + D + (n + 1) * D + depth * (12 * D * D + 13 * D) + 2 * D + head;
}

const parseVit = (name: string): [models.VitSize, models.VitPatchSize] => {
  const m = /^vit_(\w+)_patch(\d+)_224$/.exec(name)!;
  return [m[1] as models.VitSize, Number(m[2]) as models.VitPatchSize];
};

describe('models registry', function () {
  this.timeout(120000);

  it('lists 4 ResNets, 5 ViT sizes x 4 patch sizes, vit_custom and small_cnn', () => {
    const names = models.list();
    assert.equal(names.length, 26);
    assert.ok(names.includes('vit_custom'));
    for (const n of Object.keys(RESNET_COUNTS)) assert.ok(names.includes(n as models.ModelName), n);
    for (const size of ['tiny', 'small', 'base', 'large', 'huge']) {
      for (const p of [4, 8, 14, 16]) assert.ok(names.includes(`vit_${size}_patch${p}_224` as models.ModelName));
    }
    assert.ok(names.includes('small_cnn'));
    assert.deepEqual(names, [...names].sort());
  });

  it('the closed-form ViT count reproduces timm for every published size', () => {
    for (const [name, count] of Object.entries(TIMM_COUNTS)) assert.equal(vitCount(...parseVit(name)), count, name);
  });

  for (const [name, count] of Object.entries(RESNET_COUNTS)) {
    it(`${name}: ${count.toLocaleString('en')} parameters as torchvision, forward at 32 px`, () => {
      const net = models.create(name as models.ResNetName);
      try {
        assert.equal(net.numParameters(), count);
        assert.equal(net.featureDim, name === 'resnet18' || name === 'resnet34' ? 512 : 2048);
        net.eval();
        torch.scope(() => {
          const y = torch.noGrad(() => net.forward(torch.randn([2, 3, 32, 32])));
          assert.deepEqual(y.shape, [2, 1000]);
          assert.ok(y.isfinite().all().item());
        });
      } finally {
        net.dispose();
      }
    });
  }

  // Building is what proves the count. Base (other than patch 16), Large and
  // Huge (up to 632 M parameters, 2.5 GB) are built at depth 1 instead, which
  // checks every tensor shape; their count is that plus (depth - 1) times the
  // parameters of the built block (exact: blocks are identical).
  for (const name of models.list().filter((n) => n.startsWith('vit_') && n !== 'vit_custom')) {
    const [size, p] = parseVit(name);
    const expected = TIMM_COUNTS[name] ?? vitCount(size, p);
    const buildable = size === 'tiny' || size === 'small' || name === 'vit_base_patch16_224';
    it(`${name}: ${expected.toLocaleString('en')} parameters${!buildable ? ' (depth 1 built)' : size === 'base' ? ' (built)' : ', forward of a tiny input'}`, () => {
      if (buildable) {
        const net = models.create(name, { numClasses: 10 });
        try {
          assert.equal(net.numParameters() - 10 * net.featureDim - 10 + 1000 * net.featureDim + 1000, expected);
          if (size === 'base') return;
          // A 2x2 patch grid (the position embedding interpolated) keeps the forward cheap.
          torch.scope(() => {
            const y = torch.noGrad(() => net.forward(torch.randn([2, 3, 2 * p, 2 * p])));
            assert.deepEqual(y.shape, [2, 10]);
            assert.ok(y.isfinite().all().item());
          });
        } finally {
          net.dispose();
        }
        return;
      }
      const net = new models.VisionTransformer({ ...models.VIT_SIZES[size], depth: 1, patchSize: p });
      try {
        const perBlock = net.blocks.at(0).numParameters();
        assert.equal(net.numParameters() + (models.VIT_SIZES[size].depth - 1) * perBlock, expected);
      } finally {
        net.dispose();
      }
    });
  }

  it('small_cnn: featureDim 128, 277,600 parameters for one channel, forward on 28 px', () => {
    const net = models.create('small_cnn', { inChannels: 1 });
    try {
      assert.equal(net.featureDim, 128);
      // 3x3 convolutions 1-32-64-64-128-128 without bias, and 2 affine parameters per channel.
      const convs = 9 * (1 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 128 * 128);
      assert.equal(net.numParameters(), convs + 2 * (32 + 64 + 64 + 128 + 128));
      assert.equal(net.numParameters(), 277_600);
      torch.scope(() => {
        const y = net.forward(torch.randn([4, 1, 28, 28]));
        assert.deepEqual(y.shape, [4, 128]);
      });
    } finally {
      net.dispose();
    }
    const clf = models.create('small_cnn', { numClasses: 10, width: 16 });
    try {
      assert.equal(clf.featureDim, 64);
      torch.scope(() => assert.deepEqual(clf.forward(torch.randn([2, 3, 32, 32])).shape, [2, 10]));
    } finally {
      clf.dispose();
    }
  });

  it('small_cnn pool 2: the last map averaged over its four quadrants, quadrant by quadrant (featureDim 16w)', () => {
    const net = models.create('small_cnn', { inChannels: 1, width: 4, pool: 2 });
    try {
      assert.equal(net.featureDim, 64);
      assert.equal((net as models.SmallCnn).pool, 2);
      torch.scope(() => {
        const x = torch.randn([3, 1, 28, 28]);
        const y = net.forward(x).toArray() as number[][];
        const map = (net as models.SmallCnn).forwardFeatures(x).toArray() as number[][][][]; // (3, 16, 7, 7)
        // adaptive pooling of 7 into 2 cells: rows/columns 0-3 and 3-6 (the middle one in both).
        const cells = [[0, 4], [3, 7]];
        for (let b = 0; b < 3; b++) {
          for (let c = 0; c < 16; c++) {
            for (let i = 0; i < 2; i++) {
              for (let j = 0; j < 2; j++) {
                let sum = 0;
                for (let r = cells[i][0]; r < cells[i][1]; r++) for (let q = cells[j][0]; q < cells[j][1]; q++) sum += map[b][c][r][q];
                assert.ok(Math.abs(y[b][c * 4 + i * 2 + j] - sum / 16) < 1e-5, `image ${b} channel ${c} cell ${i},${j}`);
              }
            }
          }
        }
      });
    } finally {
      net.dispose();
    }
    assert.throws(() => models.create('small_cnn', { pool: 0 }), /pool/);
  });

  it('small_cnn inputScale 2: the input upsampled bilinearly before conv1, on tiles and whole images alike', () => {
    torch.manualSeed(0);
    const scaled = models.create('small_cnn', { inChannels: 1, width: 4, pool: 3, inputScale: 2 }) as models.SmallCnn;
    const plain = models.create('small_cnn', { inChannels: 1, width: 4, pool: 3 }) as models.SmallCnn;
    try {
      assert.equal(scaled.inputScale, 2);
      assert.equal(scaled.featureDim, plain.featureDim);
      plain.loadStateDict(scaled.stateDict()); // same keys: the option adds no weights
      scaled.eval();
      plain.eval();
      torch.scope(() => {
        for (const size of [8, 28]) {
          const x = torch.randn([2, 1, size, size]);
          assert.deepEqual(scaled.forwardFeatures(x).shape, [2, 16, size / 2, size / 2]);
          const big = F.interpolate(x, { size: [2 * size, 2 * size], mode: 'bilinear', alignCorners: false });
          const diff = scaled.forward(x).sub(plain.forward(big)).abs().max().item() as number;
          assert.ok(diff < 1e-5, `${size} px: ${diff}`);
          assert.ok((scaled.forward(x).sub(plain.forward(x)).abs().max().item() as number) > 1e-3);
        }
      });
    } finally {
      scaled.dispose();
      plain.dispose();
    }
    assert.throws(() => models.create('small_cnn', { inputScale: 0 }), /inputScale/);
  });

  it('small_cnn readoutLayer 3: forward pools the map after conv3 (2w channels), the later layers kept for heads', () => {
    torch.manualSeed(0);
    const early = models.create('small_cnn', { inChannels: 1, width: 4, pool: 2, readoutLayer: 3 }) as models.SmallCnn;
    const last = models.create('small_cnn', { inChannels: 1, width: 4, pool: 2 }) as models.SmallCnn;
    try {
      assert.deepEqual([early.readoutLayer, last.readoutLayer], [3, 5]);
      assert.deepEqual([early.featureDim, last.featureDim], [8 * 4, 16 * 4]);
      last.loadStateDict(early.stateDict()); // same keys and weights: the option adds and removes none
      early.eval();
      last.eval();
      torch.scope(() => {
        const x = torch.randn([2, 1, 12, 12]);
        let y = x;
        for (let i = 0; i < 3; i++) y = last.relu.forward(last.norms[i].forward(last.convs[i].forward(y)));
        const want = F.adaptiveAvgPool2d(y, 2).flatten(1); // (2, 8 x 4): the 6 x 6 map of conv3
        assert.deepEqual(early.forward(x).shape, [2, 32]);
        assert.ok((early.forward(x).sub(want).abs().max().item() as number) < 1e-6);
        assert.deepEqual(early.forwardFeatures(x).shape, [2, 16, 3, 3]); // the head's map is still conv5's
        assert.ok((early.forwardFeatures(x).sub(last.forwardFeatures(x)).abs().max().item() as number) === 0);
      });
    } finally {
      early.dispose();
      last.dispose();
    }
    assert.throws(() => models.create('small_cnn', { readoutLayer: 6 }), /readoutLayer \(small_cnn has 5 convolutions\)/);
    assert.throws(() => models.create('small_cnn', { readoutLayer: 0 }), /readoutLayer/);
    // One bounded-integer check: the same message for every bad value, RangeError out of range, TypeError otherwise.
    assert.throws(() => models.create('small_cnn', { readoutLayer: 0 }),
      { name: 'RangeError', message: /^Expected an integer in \[1, 5\] for options\.readoutLayer \(small_cnn has 5 convolutions\) but received 0$/ });
    assert.throws(() => models.create('small_cnn', { readoutLayer: 2.5 }),
      { name: 'TypeError', message: /^Expected an integer in \[1, 5\] for options\.readoutLayer \(small_cnn has 5 convolutions\) but received 2.5$/ });
  });

  it('an unknown name lists the close ones', () => {
    assert.throws(() => models.create('resnet19' as models.ModelName),
      /Unknown model 'resnet19'\. Did you mean 'resnet18'.*models\.list\(\)/);
    assert.throws(() => models.create('vit_small_patch16' as models.ModelName), /Did you mean 'vit_small_patch16_224'/);
    assert.throws(() => models.create('convnext' as models.ModelName), /^RangeError: Unknown model 'convnext'\. models\.list\(\) gives every name\.$/);
  });

  it('memoryFormat channels_last stores conv weights in NHWC with the same outputs', () => {
    torch.scope(() => {
      torch.manualSeed(3);
      const plain = models.create('resnet18', { smallImages: true, numClasses: 0 });
      torch.manualSeed(3);
      const nhwc = models.create('resnet18', { smallImages: true, numClasses: 0, memoryFormat: 'channels_last' });
      assert.deepEqual(nhwc.conv1.weight.stride(), [27, 1, 9, 3]);
      assert.deepEqual(plain.conv1.weight.stride(), [27, 9, 3, 1]);
      plain.eval();
      nhwc.eval();
      const x = torch.randn([2, 3, 16, 16]);
      const a = plain.forward(x);
      const b = nhwc.forward(x.contiguous('channels_last'));
      assert.ok(Number(a.sub(b).abs().max().item()) < 1e-4);
      assert.throws(() => models.create('small_cnn', { memoryFormat: 'nhwc' as 'channels_last' }),
        /Expected 'channels_last' or 'contiguous_format' for memoryFormat of model 'small_cnn' but received "nhwc"/);
    });
  });

  it('an unknown or invalid option is an error naming it', () => {
    assert.throws(() => models.create('resnet18', { numclasses: 10 } as unknown as models.ResNetOptions),
      /Unknown option\(s\) 'numclasses' for model 'resnet18'; expected some of numClasses, inChannels/);
    assert.throws(() => models.create('resnet18', { numClasses: -1 }),
      /Expected non-negative integer for options\.numClasses but received -1/);
    assert.throws(() => models.create('vit_tiny_patch16_224', { imgSize: 100 }),
      /Expected imgSize \(100\) to be a multiple of patchSize \(16\)/);
    assert.throws(() => models.create('vit_tiny_patch16_224', { globalPool: 'max' } as unknown as models.VitVariantOptions),
      /Expected one of 'token', 'avg', 'grid' for options\.globalPool but received 'max'/);
  });

  it('vit_custom takes the size and patch from its options (which a named variant refuses)', () => {
    const net = models.create('vit_custom', { imgSize: 28, inChannels: 1, patchSize: 7, embedDim: 32, depth: 2, numHeads: 4,
      numClasses: 0, globalPool: 'grid', poolGrid: 2 });
    try {
      assert.deepEqual([net.embedDim, net.blocks.length, net.patchEmbed.patchSize, net.patchEmbed.numPatches], [32, 2, 7, 16]);
      assert.equal((net.blocks.at(0) as models.VitBlock).attn.numHeads, 4);
      assert.equal(net.featureDim, 32 * 4);
      torch.scope(() => assert.deepEqual(torch.noGrad(() => net.forward(torch.randn([2, 1, 28, 28]))).shape, [2, 128]));
    } finally {
      net.dispose();
    }
    assert.throws(() => models.create('vit_custom', { embedDim: 30, numHeads: 4 }), /Expected embedDim \(30\) divisible by numHeads \(4\)/);
    assert.throws(() => models.create('vit_custom', { width: 4 } as never), /Unknown option\(s\) 'width' for model 'vit_custom'; expected some of imgSize, patchSize/);
  });

  it('the convenience functions build the registered architectures', () => {
    const a = models.vitTiny16({ imgSize: 32, numClasses: 0 });
    const b = models.create('vit_tiny_patch16_224', { imgSize: 32, numClasses: 0 });
    try {
      assert.deepEqual([...a.stateDict().entries()].map(([k, t]) => [k, t.shape]),
        [...b.stateDict().entries()].map(([k, t]) => [k, t.shape]));
      assert.equal(a.featureDim, 192);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('the ViT variants, the registry names and the convenience functions come from one list', () => {
    assert.equal(models.VIT_VARIANTS.length, 20);
    const fns = models as unknown as Record<string, unknown>;
    for (const v of models.VIT_VARIANTS) {
      assert.ok(models.list().includes(v.registryName as models.ModelName), v.registryName);
      assert.equal(typeof fns[v.functionName], 'function', v.functionName);
      assert.equal(v.registryName, `vit_${v.size}_patch${v.patchSize}_224`);
    }
    const vit = models.vitTiny8({ imgSize: 16, numClasses: 0 });
    try {
      assert.equal(vit.embedDim, 192);
      assert.equal(vit.patchEmbed.patchSize, 8);
    } finally {
      vit.dispose();
    }
    // The registry's option lists are the option tables' keys.
    assert.throws(() => models.create('vit_tiny_patch4_224', { depth: 2 } as never),
      /expected some of imgSize, inChannels, numClasses, mlpRatio, qkvBias, dropPathRate, globalPool, poolGrid, memoryFormat/);
    assert.throws(() => models.create('small_cnn', { depth: 2 } as never), /expected some of inChannels, numClasses, width, pool, inputScale, readoutLayer, memoryFormat/);
  });
});
