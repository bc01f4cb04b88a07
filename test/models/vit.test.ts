// ViT: timm's keys and initialisation, drop-path schedule, position-embedding
// interpolation, token access and the masked (MAE) encoder path.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import * as models from '../../lib/models';
import { DropPath, Identity, LayerNorm, Linear } from '../../lib/nn';

type Tensor = torch.Tensor;

const maxDiff = (a: Tensor, b: Tensor): number => a.sub(b).abs().max().item() as number;
const tiny = (options: models.VitOptions = {}): models.VisionTransformer =>
  new models.VisionTransformer({ imgSize: 32, patchSize: 8, embedDim: 48, depth: 3, numHeads: 3, ...options });

describe('models: VisionTransformer', function () {
  this.timeout(120000);

  it("has timm's vit_small_patch16_224 keys and shapes", () => {
    const net = models.vitSmall16();
    try {
      const sd = net.stateDict();
      const keys = [...sd.keys()];
      assert.deepEqual(keys.slice(0, 4), ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias']);
      assert.deepEqual(keys.slice(4, 16), ['norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias',
        'attn.proj.weight', 'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias',
        'mlp.fc2.weight', 'mlp.fc2.bias'].map((k) => `blocks.0.${k}`));
      assert.deepEqual(keys.slice(-4), ['norm.weight', 'norm.bias', 'head.weight', 'head.bias']);
      assert.equal(keys.length, 4 + 12 * 12 + 4);
      assert.deepEqual(sd.get('pos_embed')!.shape, [1, 197, 384]);
      assert.deepEqual(sd.get('cls_token')!.shape, [1, 1, 384]);
      assert.deepEqual(sd.get('patch_embed.proj.weight')!.shape, [384, 3, 16, 16]);
      assert.deepEqual(sd.get('blocks.11.mlp.fc1.weight')!.shape, [1536, 384]);
      assert.equal(net.numParameters(), 22_050_664);
      const block = net.blocks.at(0) as models.VitBlock;
      assert.equal(block.norm1.eps, 1e-6);
    } finally {
      net.dispose();
    }
  });

  it('initialises as timm: pos_embed trunc normal .02, cls token std 1e-6, Linear trunc normal .02 with zero bias', () => {
    torch.manualSeed(0);
    const net = tiny({ embedDim: 192, numClasses: 100 });
    try {
      const std = (t: Tensor): number => t.detach().std().item() as number;
      assert.ok(Math.abs(std(net.posEmbed) - 0.02) < 0.002, `pos_embed std ${std(net.posEmbed)}`);
      assert.ok(std(net.clsToken) < 3e-6 && std(net.clsToken) > 0, `cls_token std ${std(net.clsToken)}`);
      for (const [name, m] of net.namedModules()) {
        if (!(m instanceof Linear)) continue;
        assert.ok(Math.abs(std(m.weight) - 0.02) < 0.003, `${name}.weight std ${std(m.weight)}`);
        assert.equal(m.bias!.abs().max().item(), 0, `${name}.bias`);
      }
    } finally {
      net.dispose();
    }
  });

  it('dropPathRate rises linearly over the blocks', () => {
    const net = tiny({ depth: 5, dropPathRate: 0.2 });
    try {
      const rates = [...net.blocks].map((b) => {
        const dp = (b as models.VitBlock).dropPath1;
        return dp instanceof DropPath ? dp.p : 0;
      });
      rates.forEach((r, i) => assert.ok(Math.abs(r - 0.05 * i) < 1e-12, `block ${i}: ${r}`));
      assert.ok((net.blocks.at(0) as models.VitBlock).dropPath1 instanceof Identity);
    } finally {
      net.dispose();
    }
  });

  it('numClasses 0: Identity head, forward returns the normalised class token of forwardFeatures', () => {
    const net = tiny({ numClasses: 0 });
    try {
      assert.ok(net.head instanceof Identity);
      torch.scope(() => {
        const x = torch.randn([2, 3, 32, 32]);
        const tokens = net.forwardFeatures(x);
        assert.deepEqual(tokens.shape, [2, 1 + 16, 48]);
        const y = net.forward(x);
        assert.deepEqual(y.shape, [2, 48]);
        assert.equal(maxDiff(y, tokens.select(1, 0)), 0);
      });
    } finally {
      net.dispose();
    }
  });

  it("globalPool 'avg' pools the patch tokens through fc_norm, as timm", () => {
    const net = tiny({ numClasses: 5, globalPool: 'avg' });
    try {
      const keys = [...net.stateDict().keys()];
      assert.ok(keys.includes('fc_norm.weight') && !keys.includes('norm.weight'));
      torch.scope(() => assert.deepEqual(net.forward(torch.randn([2, 3, 32, 32])).shape, [2, 5]));
    } finally {
      net.dispose();
    }
  });

  it("globalPool 'grid': the normed patch tokens on their grid, averaged over poolGrid x poolGrid cells, channel-major", () => {
    const net = tiny({ numClasses: 0, globalPool: 'grid', poolGrid: 2 }); // 32 px / 8 px patches: a 4x4 grid
    const one = tiny({ numClasses: 0, globalPool: 'grid', poolGrid: 1 });
    const head = tiny({ numClasses: 5, globalPool: 'grid', poolGrid: 2 });
    try {
      assert.equal(net.featureDim, 48 * 4);
      assert.ok(net.norm instanceof LayerNorm, "'grid' keeps norm");
      assert.ok(net.fcNorm instanceof Identity);
      assert.deepEqual((head.head as Linear).weight.shape, [5, 48 * 4]);
      torch.scope(() => {
        const x = torch.randn([2, 3, 32, 32]);
        const patches = net.forwardFeatures(x).narrow(1, 1, 16).view([2, 4, 4, 48]); // (B, row, col, D)
        const y = net.forward(x).view([2, 48, 2, 2]); // (B, D, cell row, cell col)
        for (const [r, c] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          const cell = patches.narrow(1, 2 * r, 2).narrow(2, 2 * c, 2).mean([1, 2]); // (B, D)
          assert.ok(maxDiff(y.select(3, c).select(2, r), cell) < 1e-5, `cell ${r},${c}`);
        }
        // poolGrid 1 is the mean of the normed patch tokens (not through fc_norm as 'avg').
        const mean = one.forwardFeatures(x).narrow(1, 1, 16).mean(1);
        assert.ok(maxDiff(one.forward(x), mean) < 1e-5);
        assert.deepEqual(head.forward(x).shape, [2, 5]);
      });
    } finally {
      [net, one, head].forEach((m) => m.dispose());
    }
    assert.throws(() => tiny({ globalPool: 'grid', poolGrid: 0 }), /options\.poolGrid/);
  });

  it('interpolatePosEmbed: the identity at the same grid, a resampled grid otherwise', () => {
    torch.scope(() => {
      const pos = torch.randn([1, 1 + 16, 8]);
      assert.equal(models.interpolatePosEmbed(pos, [4, 4]), pos);
      const up = models.interpolatePosEmbed(pos, [6, 8]);
      assert.deepEqual(up.shape, [1, 1 + 48, 8]);
      assert.equal(maxDiff(up.narrow(1, 0, 1), pos.narrow(1, 0, 1)), 0, 'the class token row is kept');
      // A constant grid stays constant (bicubic weights sum to one).
      const flat = torch.ones([1, 1 + 16, 8]);
      assert.ok(maxDiff(models.interpolatePosEmbed(flat, [2, 2]), torch.ones([1, 5, 8])) < 1e-5);
      assert.throws(() => models.interpolatePosEmbed(torch.randn([1, 1 + 15, 8]), [4, 4]),
        /Expected 1 prefix tokens and a 4x4 grid in a position embedding of 16 tokens; pass options.oldGrid/);
    });
  });

  it('runs other image sizes with an interpolated position embedding', () => {
    const net = tiny({ numClasses: 0 });
    try {
      torch.scope(() => {
        assert.equal(net.posEmbedFor(4, 4), net.posEmbed);
        assert.deepEqual(net.forwardFeatures(torch.randn([1, 3, 48, 64])).shape, [1, 1 + 6 * 8, 48]);
        assert.throws(() => net.forward(torch.randn([1, 3, 30, 32])),
          /Expected image height and width divisible by patchSize 8 but received 30x32/);
      });
    } finally {
      net.dispose();
    }
  });

  it('forwardEncoderMasked with every patch kept in order equals forwardFeatures; a subset gives 1 + K tokens', () => {
    const net = tiny({ numClasses: 0 });
    try {
      net.eval();
      torch.scope(() => {
        const x = torch.randn([2, 3, 32, 32]);
        const all = torch.arange(16).unsqueeze(0).expand([2, 16]).contiguous();
        const full = torch.noGrad(() => net.forwardEncoderMasked(x, all));
        assert.ok(maxDiff(full, torch.noGrad(() => net.forwardFeatures(x))) < 1e-5);
        const keep = torch.rand([2, 16]).argsort(1).narrow(1, 0, 4);
        assert.deepEqual(net.forwardEncoderMasked(x, keep).shape, [2, 5, 48]);
        assert.throws(() => net.forwardEncoderMasked(x, keep.to('float32')),
          /Expected keepIdx to be int64 of shape \(2, K\) but received float32 \[2, 4\]/);
      });
    } finally {
      net.dispose();
    }
  });

  it('accepts channels_last images with the same result', () => {
    const net = tiny({ numClasses: 4 });
    try {
      net.eval();
      torch.scope(() => {
        const x = torch.randn([2, 3, 32, 32]);
        const ref = torch.noGrad(() => net.forward(x));
        assert.ok(maxDiff(torch.noGrad(() => net.forward(x.contiguous('channels_last'))), ref) < 1e-5);
      });
    } finally {
      net.dispose();
    }
  });

  it('takes any number of input channels', () => {
    const net = models.vitTiny4({ imgSize: 16, inChannels: 1, numClasses: 3 });
    try {
      assert.deepEqual(net.patchEmbed.proj.weight.shape, [192, 1, 4, 4]);
      torch.scope(() => assert.deepEqual(net.forward(torch.randn([2, 1, 16, 16])).shape, [2, 3]));
    } finally {
      net.dispose();
    }
  });
});
