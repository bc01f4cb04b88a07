// bf16 autocast over whole encoders: the matmuls and convolutions run in
// bfloat16, parameters and their gradients stay float32 (master weights),
// and the result stays close to the float32 forward.
import * as assert from 'node:assert/strict';
import { torch, models, nn } from '../../lib';

describe('models under bf16 autocast', () => {
  const cases: [string, () => models.Encoder, number[]][] = [
    ['small_cnn', () => models.create('small_cnn', { inChannels: 1, numClasses: 10 }), [4, 1, 28, 28]],
    ['resnet18', () => models.create('resnet18', { numClasses: 10, smallImages: true }), [2, 3, 32, 32]],
    ['vit_tiny_patch4_224', () => models.create('vit_tiny_patch4_224', { imgSize: 32, numClasses: 10 }), [2, 3, 32, 32]],
  ];
  for (const [name, build, input] of cases) {
    it(`${name}: bf16 logits close to float32, float32 gradients`, () => {
      torch.scope(() => {
        torch.manualSeed(0);
        const model = build();
        model.eval();
        const x = torch.randn(input);
        const full = torch.noGrad(() => model.forward(x));
        const half = torch.autocast('cpu', 'bfloat16', () => model.forward(x));
        assert.equal(half.dtype, 'bfloat16');
        const err = half.float().sub(full).abs().max().item() as number;
        const scale = full.abs().max().item() as number;
        assert.ok(err <= 0.05 * scale + 1e-3, `bf16 differs by ${err} (float32 max ${scale})`);
        model.train();
        const labels = torch.arange(input[0], { dtype: 'int64' });
        const loss = torch.autocast('cpu', 'bfloat16', () => nn.functional.crossEntropy(model.forward(x), labels));
        assert.equal(loss.dtype, 'float32');
        loss.backward();
        for (const [key, p] of model.namedParameters()) {
          assert.equal(p.dtype, 'float32', key);
          if (p.grad) assert.equal(p.grad.dtype, 'float32', `${key} grad`);
        }
        assert.ok(model.parameters().some((p) => p.grad !== undefined));
        model.dispose();
      });
    });
  }
});
