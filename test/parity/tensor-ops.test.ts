// Parity with PyTorch: reductions, shapes, indexing, matrix products, sorting.
import { torch } from '../../lib';
import { constant, input, parity } from '../helpers/parity';

const x = (shape = [3, 4]) => input('x', shape);
const idx = (name: string, shape: number[], high: number) => constant(name, shape, { dtype: 'int64', low: 0, high });

parity('reductions', [
  { name: 'sum all', inputs: [x()], js: (a) => a.sum(), py: 'x.sum()' },
  { name: 'sum dims keepdim', inputs: [x([2, 3, 4])], js: (a) => a.sum([0, 2], true), py: 'x.sum([0, 2], keepdim=True)' },
  { name: 'mean dim', inputs: [x()], js: (a) => a.mean(1), py: 'x.mean(1)' },
  { name: 'prod dim', inputs: [x()], js: (a) => a.prod(0), py: 'x.prod(0)' },
  { name: 'std unbiased', inputs: [x()], js: (a) => a.std(1), py: 'x.std(1)' },
  { name: 'var biased keepdim', inputs: [x()], js: (a) => a.var(0, false, true), py: 'x.var(0, unbiased=False, keepdim=True)' },
  { name: 'norm p=2 dim', inputs: [x()], js: (a) => a.norm(2, 1), py: 'x.norm(2, 1)' },
  { name: 'norm fro', inputs: [x()], js: (a) => a.norm(), py: 'x.norm()' },
  { name: 'logsumexp', inputs: [x()], js: (a) => a.logsumexp(1), py: 'x.logsumexp(1)' },
  { name: 'amax amin', inputs: [x()], js: (a) => a.amax(1).add(a.amin(1)), py: 'x.amax(1) + x.amin(1)' },
  { name: 'max dim values indices', inputs: [x()], js: (a) => { const m = a.max(1); return [m.values, m.indices]; },
    py: 'tuple(x.max(1))' },
  { name: 'min all', inputs: [x()], js: (a) => a.min(), py: 'x.min()' },
  { name: 'argmax argmin', inputs: [x()], js: (a) => [a.argmax(1), a.argmin(0)], py: '(x.argmax(1), x.argmin(0))' },
  { name: 'cumsum cumprod', inputs: [x()], js: (a) => a.cumsum(1).add(a.cumprod(1)), py: 'x.cumsum(1) + x.cumprod(1)' },
  { name: 'all any', inputs: [constant('b', [3, 4], { dtype: 'bool' })], js: (b) => [b.all(1), b.any(0)], py: '(b.all(1), b.any(0))' },
  { name: 'sum int64 dtype float64', inputs: [constant('i', [5], { dtype: 'int64' })], js: (i) => i.sum(undefined, false, { dtype: 'float64' }),
    py: 'i.sum(dtype=torch.float64)' },
]);

parity('shapes', [
  { name: 'view reshape', inputs: [x([2, 6])], js: (a) => a.view(3, 4).reshape([4, 3]), py: 'x.view(3, 4).reshape(4, 3)' },
  { name: 'permute', inputs: [x([2, 3, 4])], js: (a) => a.permute(2, 0, 1), py: 'x.permute(2, 0, 1)' },
  { name: 'transpose t', inputs: [x()], js: (a) => a.transpose(0, 1).t(), py: 'x.transpose(0, 1).t()' },
  { name: 'squeeze unsqueeze', inputs: [x([3, 1, 4])], js: (a) => a.squeeze(1).unsqueeze(0), py: 'x.squeeze(1).unsqueeze(0)' },
  { name: 'expand', inputs: [x([3, 1])], js: (a) => a.expand(3, 5), py: 'x.expand(3, 5)' },
  { name: 'flatten unflatten', inputs: [x([2, 3, 4])], js: (a) => a.flatten(1).unflatten(1, [4, 3]), py: 'x.flatten(1).unflatten(1, (4, 3))' },
  { name: 'repeat', inputs: [x([2, 3])], js: (a) => a.repeat(2, 1, 2), py: 'x.repeat(2, 1, 2)' },
  { name: 'flip roll', inputs: [x()], js: (a) => a.flip([1]).roll(1, 0), py: 'x.flip([1]).roll(1, 0)' },
  { name: 'split', inputs: [x([5, 2])], js: (a) => a.split(2), py: 'x.split(2)' },
  { name: 'split sizes', inputs: [x([5, 2])], js: (a) => a.split([1, 4]), py: 'x.split([1, 4])' },
  { name: 'chunk dim 1', inputs: [x([2, 6])], js: (a) => a.chunk(3, 1), py: 'x.chunk(3, 1)' },
  { name: 'unbind', inputs: [x([3, 2])], js: (a) => a.unbind(0), py: 'x.unbind(0)' },
  { name: 'narrow select', inputs: [x([4, 5])], js: (a) => a.narrow(1, 1, 3).select(0, 2), py: 'x.narrow(1, 1, 3).select(0, 2)' },
  { name: 'movedim', inputs: [x([2, 3, 4])], js: (a) => a.movedim(0, 2), py: 'x.movedim(0, 2)' },
  { name: 'cat', inputs: [x([2, 3]), input('y', [4, 3])], js: (a, b) => torch.cat([a, b], 0), py: 'torch.cat([x, y], 0)' },
  { name: 'stack', inputs: [x([2, 3]), input('y', [2, 3])], js: (a, b) => torch.stack([a, b], 1), py: 'torch.stack([x, y], 1)' },
  { name: 'contiguous after permute', inputs: [x([2, 3, 4])], js: (a) => a.permute(1, 0, 2).contiguous(), py: 'x.permute(1, 0, 2).contiguous()' },
]);

parity('indexing', [
  { name: 'slice with step', inputs: [x([6, 4])], js: (a) => a.slice(0, 1, 6, 2), py: 'x[1:6:2]' },
  { name: 'indexSelect', inputs: [x([5, 3]), idx('i', [4], 5)], js: (a, i) => a.indexSelect(0, i), py: 'x.index_select(0, i)' },
  { name: 'gather', inputs: [x([3, 4]), idx('i', [3, 2], 4)], js: (a, i) => a.gather(1, i), py: 'x.gather(1, i)' },
  { name: 'scatter', inputs: [x([3, 4]), constant('i', [3, 1], { dtype: 'int64', values: [0, 3, 1] }), input('s', [3, 1])],
    js: (a, i, s) => a.scatter(1, i, s), py: 'x.scatter(1, i, s)' },
  { name: 'scatterAdd', inputs: [x([3, 4]), idx('i', [3, 4], 4), input('s', [3, 4])],
    js: (a, i, s) => a.scatterAdd(1, i, s), py: 'x.scatter_add(1, i, s)' },
  { name: 'maskedFill', inputs: [x(), constant('m', [3, 4], { dtype: 'bool' })], js: (a, m) => a.maskedFill(m, -2),
    py: 'x.masked_fill(m, -2)' },
  { name: 'maskedSelect', inputs: [x(), constant('m', [3, 4], { dtype: 'bool' })], js: (a, m) => a.maskedSelect(m),
    py: 'x.masked_select(m)' },
  { name: 'advanced index', inputs: [x([4, 5]), idx('i', [3], 4)], js: (a, i) => a.index([null, i]), py: 'x[:, i]' },
  { name: 'indexPut accumulate', inputs: [x([5]), constant('i', [4], { dtype: 'int64', values: [0, 2, 2, 4] }), input('v', [4])],
    js: (a, i, v) => a.indexPut([i], v, true), py: 'x.index_put((i,), v, accumulate=True)' },
]);

parity('matrix products', [
  { name: 'matmul 2d', inputs: [x([3, 5]), input('y', [5, 2])], js: (a, b) => a.matmul(b), py: 'x @ y' },
  { name: 'matmul batched broadcast', inputs: [x([2, 3, 5]), input('y', [5, 4])], js: (a, b) => a.matmul(b), py: 'x @ y' },
  { name: 'matmul vector', inputs: [x([3, 5]), input('y', [5])], js: (a, b) => a.matmul(b), py: 'x @ y' },
  { name: 'mm', inputs: [x([4, 3]), input('y', [3, 2])], js: (a, b) => a.mm(b), py: 'x.mm(y)' },
  { name: 'bmm', inputs: [x([2, 3, 4]), input('y', [2, 4, 5])], js: (a, b) => a.bmm(b), py: 'x.bmm(y)' },
  { name: 'dot outer', inputs: [x([4]), input('y', [4])], js: (a, b) => a.outer(b).mul(a.dot(b)), py: 'torch.outer(x, y) * x.dot(y)' },
  { name: 'addmm', inputs: [x([2, 3]), input('a', [2, 4]), input('b', [4, 3])], js: (c, a, b) => c.addmm(a, b, { beta: 0.5, alpha: 2 }),
    py: 'torch.addmm(x, a, b, beta=0.5, alpha=2)' },
  { name: 'einsum attention scores', inputs: [input('q', [2, 3, 4]), input('k', [2, 5, 4])],
    js: (q, k) => torch.einsum('bqd,bkd->bqk', q, k), py: "torch.einsum('bqd,bkd->bqk', q, k)" },
  { name: 'einsum trace', inputs: [x([4, 4])], js: (a) => torch.einsum('ii', a), py: "torch.einsum('ii', x)" },
]);

parity('sorting', [
  { name: 'sort descending', inputs: [x([3, 5])], js: (a) => { const s = a.sort(1, true); return [s.values, s.indices]; },
    py: 'tuple(x.sort(1, descending=True))' },
  { name: 'argsort', inputs: [x([6])], js: (a) => a.argsort(), py: 'x.argsort()' },
  { name: 'topk', inputs: [x([3, 6])], js: (a) => { const t = a.topk(2); return [t.values, t.indices]; }, py: 'tuple(x.topk(2))' },
  { name: 'topk smallest', inputs: [x([8])], js: (a) => a.topk(3, -1, false).values, py: 'x.topk(3, largest=False).values' },
]);
