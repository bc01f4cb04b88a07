// Reusable work tensors for optimiser steps: per-parameter scalars (norms,
// factors) kept in one vector across steps. They are not optimiser state:
// nothing here is saved or restored.
//
// NOTE: parameter-sized results come from the functional `_foreach_*`
// operators, not from `_foreach_*.out` into kept tensors: libtorch (1.13 and
// 2.x) generates those `.out` variants as the functional operator followed by
// one `copy_` per tensor, so writing into kept tensors saved no allocation and
// added a pass over every parameter (issue 19).
import * as torch from '../torch';

type Tensor = torch.Tensor;

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
