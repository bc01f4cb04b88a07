// Parity with PyTorch: elementwise arithmetic, comparisons and activations.
import { torch } from '../../lib';
import { constant, input, parity } from '../helpers/parity';

const x = (shape = [3, 4]) => input('x', shape);
const y = (shape = [3, 4]) => input('y', shape);
const pos = (name: string, shape = [3, 4]) => input(name, shape, { low: 0.1, high: 2 });

parity('elementwise arithmetic', [
  { name: 'add broadcast', inputs: [x([2, 3, 4]), y([3, 1])], js: (a, b) => a.add(b), py: 'x + y' },
  { name: 'add alpha', inputs: [x(), y()], js: (a, b) => a.add(b, { alpha: 0.5 }), py: 'torch.add(x, y, alpha=0.5)' },
  { name: 'add scalar', inputs: [x()], js: (a) => a.add(2.5), py: 'x + 2.5' },
  { name: 'sub broadcast', inputs: [x([4]), y([3, 4])], js: (a, b) => a.sub(b), py: 'x - y' },
  { name: 'mul', inputs: [x(), y()], js: (a, b) => a.mul(b), py: 'x * y' },
  { name: 'mul scalar', inputs: [x()], js: (a) => a.mul(-3), py: 'x * -3' },
  { name: 'div', inputs: [x(), pos('y')], js: (a, b) => a.div(b), py: 'x / y' },
  { name: 'div floor', inputs: [constant('x', [3, 4], { low: -5, high: 5 }), constant('y', [3, 4], { low: 0.5, high: 2 })],
    js: (a, b) => a.div(b, { roundingMode: 'floor' }), py: "torch.div(x, y, rounding_mode='floor')" },
  { name: 'pow tensor', inputs: [pos('x'), y()], js: (a, b) => a.pow(b), py: 'x ** y' },
  { name: 'pow scalar', inputs: [x()], js: (a) => a.pow(3), py: 'x ** 3' },
  { name: 'neg', inputs: [x()], js: (a) => a.neg(), py: '-x' },
  { name: 'abs', inputs: [x()], js: (a) => a.abs(), py: 'x.abs()' },
  { name: 'exp', inputs: [x()], js: (a) => a.exp(), py: 'x.exp()' },
  { name: 'log', inputs: [pos('x')], js: (a) => a.log(), py: 'x.log()' },
  { name: 'log1p', inputs: [pos('x')], js: (a) => a.log1p(), py: 'x.log1p()' },
  { name: 'sqrt', inputs: [pos('x')], js: (a) => a.sqrt(), py: 'x.sqrt()' },
  { name: 'rsqrt', inputs: [pos('x')], js: (a) => a.rsqrt(), py: 'x.rsqrt()' },
  { name: 'square', inputs: [x()], js: (a) => a.square(), py: 'x.square()' },
  { name: 'sin cos', inputs: [x()], js: (a) => a.sin().add(a.cos()), py: 'x.sin() + x.cos()' },
  { name: 'tanh', inputs: [x()], js: (a) => a.tanh(), py: 'x.tanh()' },
  { name: 'sigmoid', inputs: [x()], js: (a) => a.sigmoid(), py: 'x.sigmoid()' },
  { name: 'erf', inputs: [x()], js: (a) => a.erf(), py: 'x.erf()' },
  { name: 'clamp', inputs: [x()], js: (a) => a.clamp(-0.5, 0.3), py: 'x.clamp(-0.5, 0.3)' },
  { name: 'clampMin', inputs: [x()], js: (a) => a.clampMin(0.1), py: 'x.clamp(min=0.1)' },
  { name: 'reciprocal', inputs: [pos('x')], js: (a) => a.reciprocal(), py: 'x.reciprocal()' },
  { name: 'maximum minimum', inputs: [x(), y()], js: (a, b) => a.maximum(b).add(a.minimum(b).mul(2)),
    py: 'torch.maximum(x, y) + 2 * torch.minimum(x, y)' },
  { name: 'addcmul', inputs: [x(), y(), input('z', [3, 4])], js: (a, b, c) => a.addcmul(b, c, { value: 0.5 }),
    py: 'torch.addcmul(x, y, z, value=0.5)' },
  { name: 'addcdiv', inputs: [x(), y(), pos('z')], js: (a, b, c) => a.addcdiv(b, c, { value: 2 }),
    py: 'torch.addcdiv(x, y, z, value=2)' },
  { name: 'lerp', inputs: [x(), y()], js: (a, b) => a.lerp(b, 0.3), py: 'torch.lerp(x, y, 0.3)' },
  { name: 'float64 chain', inputs: [input('x', [5], { dtype: 'float64' })], js: (a) => a.mul(a).exp().log1p(),
    py: '(x * x).exp().log1p()', rtol: 1e-10, atol: 1e-12 },
  { name: 'remainder and fmod', inputs: [constant('x', [6], { low: -5, high: 5 })],
    js: (a) => torch.stack([a.remainder(1.5), a.fmod(1.5)]), py: 'torch.stack([x.remainder(1.5), x.fmod(1.5)])' },
  { name: 'floor ceil round sign', inputs: [constant('x', [8], { low: -3, high: 3 })],
    js: (a) => torch.stack([a.floor(), a.ceil(), a.round(), a.sign()]),
    py: 'torch.stack([x.floor(), x.ceil(), x.round(), x.sign()])' },
  { name: 'int64 arithmetic keeps integer type', inputs: [constant('x', [5], { dtype: 'int64', low: -9, high: 9 })],
    js: (a) => a.mul(3).add(1), py: 'x * 3 + 1' },
]);

parity('comparisons', [
  { name: 'eq ne lt le gt ge', inputs: [constant('x', [10], { low: -2, high: 2 }), constant('y', [10], { low: -2, high: 2 })],
    js: (a, b) => torch.stack([a.eq(b), a.ne(b), a.lt(b), a.le(b), a.gt(0), a.ge(0.5)]),
    py: 'torch.stack([x == y, x != y, x < y, x <= y, x > 0, x >= 0.5])' },
  { name: 'logical ops', inputs: [constant('x', [8], { dtype: 'bool' }), constant('y', [8], { dtype: 'bool' })],
    js: (a, b) => torch.stack([a.logicalAnd(b), a.logicalOr(b), a.logicalXor(b), a.logicalNot()]),
    py: 'torch.stack([x.logical_and(y), x.logical_or(y), x.logical_xor(y), x.logical_not()])' },
  { name: 'where', inputs: [constant('c', [3, 4], { dtype: 'bool' }), x(), y()],
    js: (c, a, b) => torch.where(c, a, b), py: 'torch.where(c, x, y)' },
  { name: 'where scalar other', inputs: [constant('c', [3, 4], { dtype: 'bool' }), x()],
    js: (c, a) => torch.where(c, a, 0), py: 'torch.where(c, x, torch.tensor(0.0))' },
]);

parity('activations', [
  { name: 'relu', inputs: [x()], js: (a) => a.relu(), py: 'x.relu()' },
  { name: 'leakyRelu', inputs: [x()], js: (a) => a.leakyRelu(0.2), py: 'F.leaky_relu(x, 0.2)' },
  { name: 'gelu', inputs: [x()], js: (a) => a.gelu(), py: 'F.gelu(x)' },
  { name: 'gelu tanh', inputs: [x()], js: (a) => a.gelu('tanh'), py: "F.gelu(x, approximate='tanh')" },
  { name: 'silu', inputs: [x()], js: (a) => a.silu(), py: 'F.silu(x)' },
  { name: 'softplus', inputs: [x()], js: (a) => a.softplus(2, 20), py: 'F.softplus(x, beta=2, threshold=20)' },
  { name: 'elu', inputs: [x()], js: (a) => a.elu(), py: 'F.elu(x)' },
  { name: 'hardtanh', inputs: [input('x', [3, 4], { low: -2, high: 2 })], js: (a) => a.hardtanh(), py: 'F.hardtanh(x)' },
  { name: 'softmax', inputs: [x([4, 5])], js: (a) => a.softmax(1), py: 'x.softmax(1)' },
  { name: 'logSoftmax dim 0', inputs: [x([4, 5])], js: (a) => a.logSoftmax(0), py: 'x.log_softmax(0)' },
  { name: 'softmax float64 out', inputs: [x([4, 5])], js: (a) => a.softmax(-1, { dtype: 'float64' }),
    py: 'x.softmax(-1, dtype=torch.float64)' },
]);
