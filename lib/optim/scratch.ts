// Reusable work tensors for optimiser steps. A multi-tensor operator that
// returns new tensors costs an allocation per parameter (on CPU, more than
// the arithmetic over ResNet-18) and a JS wrapper per parameter; writing into
// tensors kept from the previous step (`_foreach_*.out`) costs neither.
// They are not optimiser state: nothing here is saved or restored.
import * as torch from '../torch';

type Tensor = torch.Tensor;

/**
 * One work tensor per parameter, shaped and typed like it, created on first
 * use and recreated if the parameter moved to another device or dtype.
 *
 * @example
 * const denoms = this.scratch.like(params);
 * aten._foreach_sqrt.out(expAvgSqs, { out: denoms });
 */
export class ScratchTensors {
  private readonly buffers = new Map<Tensor, Tensor>();

  like(params: Tensor[]): Tensor[] {
    return params.map((p) => {
      let b = this.buffers.get(p);
      if (b === undefined || b.device !== p.device || b.dtype !== p.dtype) {
        b?.dispose();
        b = torch.keep(torch.emptyLike(p));
        this.buffers.set(p, b);
      }
      return b;
    });
  }

  /** Frees every work tensor. @example scratch.dispose(); */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

/**
 * A 1-d vector with one entry per parameter and its 0-d views (one per
 * entry): a `_foreach_*.out` operator writes per-parameter scalars (norms)
 * straight into the vector, and a vector computed on the device is handed
 * back to `_foreach_*` operators as per-parameter factors through the views,
 * with no wrapper or allocation per step. Rebuilt when the list of parameters
 * changes (a parameter without gradient on this step).
 *
 * @example
 * const norms = new ScalarSlots();
 * const { vector, views } = norms.get(params);
 * aten._foreach_norm.Scalar_out(params, 2, { out: views });   // vector holds the norms
 */
export class ScalarSlots {
  private key: Tensor[] = [];
  private vector: Tensor | undefined;
  private views: Tensor[] = [];

  get(params: Tensor[]): { vector: Tensor; views: Tensor[] } {
    const p0 = params[0];
    const same = this.vector !== undefined && this.key.length === params.length &&
      this.key.every((p, i) => p === params[i]) && this.vector.device === p0.device && this.vector.dtype === p0.dtype;
    if (!same) {
      this.dispose();
      this.key = params.slice();
      this.vector = torch.keep(torch.zeros([params.length], { dtype: p0.dtype, device: p0.device }));
      this.views = this.vector.unbind(0).map((v) => torch.keep(v));
    }
    return { vector: this.vector!, views: this.views };
  }

  /** Frees the vector and its views. @example slots.dispose(); */
  dispose(): void {
    for (const v of this.views) v.dispose();
    this.vector?.dispose();
    this.vector = undefined;
    this.views = [];
    this.key = [];
  }
}
