// Affine maps: y = x W^T + b.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkTensor, optionalTensor } from '../../torch/arguments';

const ops = { linear: op('linear'), bilinear: op('bilinear') };

/**
 * Applies `y = x W^T + b`, as `torch.nn.functional.linear`.
 *
 * `input` is (*, inFeatures), `weight` (outFeatures, inFeatures), `bias`
 * (outFeatures) or absent (PyTorch's default: None); the result is (*, outFeatures).
 *
 * @example
 * const y = F.linear(torch.randn([8, 4]), torch.randn([3, 4]), torch.zeros([3])); // (8, 3)
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return ops.linear.tensor(checkTensor(input, 'input')._h, checkTensor(weight, 'weight')._h,
    optionalTensor(bias, 'bias'));
}

/**
 * Applies `y = x1^T A x2 + b`, as `torch.nn.functional.bilinear`.
 *
 * `input1` is (*, in1), `input2` (*, in2), `weight` (out, in1, in2), `bias`
 * (out) or absent (default None); the result is (*, out).
 *
 * @example
 * const y = F.bilinear(torch.randn([8, 4]), torch.randn([8, 5]), torch.randn([3, 4, 5])); // (8, 3)
 */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return ops.bilinear.tensor(checkTensor(input1, 'input1')._h, checkTensor(input2, 'input2')._h,
    checkTensor(weight, 'weight')._h, optionalTensor(bias, 'bias'));
}
