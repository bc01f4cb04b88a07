// Sorting and top-k selection.
import { Tensor } from '../tensor';
import { op } from '../op';
import { ValuesIndices, valuesIndices } from './reduction';

declare module '../tensor' {
  interface Tensor {
    /**
     * Sorted values along `dim` and their original positions, as `tensor.sort`
     * (`stable` keeps equal elements in their original order).
     * @example const { values, indices } = x.sort(-1, true)
     */
    sort(dim?: number, descending?: boolean, options?: { stable?: boolean }): ValuesIndices;
    /** The positions that sort this tensor along `dim`, as `tensor.argsort`. @example scores.argsort(0, true) */
    argsort(dim?: number, descending?: boolean): Tensor;
    /**
     * The `k` largest (or smallest) values along `dim` and their positions, as `tensor.topk`.
     * @example const { indices } = sim.topk(20, 1) // 20 nearest neighbours
     */
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): ValuesIndices;
  }
}

const ops = { sort: op('sort'), sortStable: op('sort', 'stable'), argsort: op('argsort'), topk: op('topk') };

Tensor.prototype.sort = function (this: Tensor, dim?: number, descending?: boolean, options?: { stable?: boolean }) {
  const stable = options === undefined ? undefined : options.stable;
  return valuesIndices(stable === undefined ? ops.sort.raw(this._h, dim, descending)
    : ops.sortStable.raw(this._h, stable, dim, descending));
};
Tensor.prototype.argsort = function (this: Tensor, dim?: number, descending?: boolean) {
  return ops.argsort.tensor(this._h, dim, descending);
};
Tensor.prototype.topk = function (this: Tensor, k: number, dim?: number, largest?: boolean, sorted?: boolean) {
  return valuesIndices(ops.topk.raw(this._h, k, dim, largest, sorted));
};
