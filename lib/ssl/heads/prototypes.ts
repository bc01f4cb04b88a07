// The prototypes of SwAV and DeepCluster v2: sets of unit vectors that the
// normalised embeddings are scored against.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/layers/linear';
import { ModuleList } from '../../nn/layers/container';
import { normalize } from '../../nn/functional';
import { checkInt } from '../../torch/arguments';

/**
 * One or more sets of prototypes, each a `Linear(dim, k, bias=false)` whose
 * rows are the prototypes (keys `heads.0.weight`, `heads.1.weight`, ...; the
 * official code's `prototypes.weight` / `prototypes{i}.weight`).
 *
 * @example
 * const prototypes = new Prototypes(128, [3000]);
 * prototypes.normalize_();                              // SwAV, before every step
 * const [scores] = prototypes.forward(normalize(z, { dim: 1 })); // (B, 3000) cosines
 */
export class Prototypes extends Module {
  readonly heads: ModuleList<Linear>;
  readonly dim: number;
  readonly sizes: readonly number[];

  constructor(dim: number, sizes: readonly number[]) {
    super();
    this.dim = checkInt(dim, 'dim', 1);
    if (!Array.isArray(sizes) || sizes.length === 0) {
      throw new TypeError(`Expected a non-empty array of prototype counts but received ${JSON.stringify(sizes)}`);
    }
    this.sizes = sizes.map((k, i) => checkInt(k, `numPrototypes[${i}]`, 1));
    this.heads = this.registerModule('heads', new ModuleList(this.sizes.map((k) => new Linear(this.dim, k, { bias: false }))));
  }

  /** The scores (B, k_i) of `z` (B, dim) against each set. @example prototypes.forward(zn)[0] */
  forward(z: Tensor): Tensor[] {
    return [...this.heads].map((h) => h.forward(z));
  }

  /** The prototype matrices (k_i, dim). @example prototypes.weights()[0].shape; // [3000, 128] */
  weights(): Tensor[] {
    return [...this.heads].map((h) => h.weight);
  }

  /**
   * Rescales every prototype to unit length in place (SwAV normalises them
   * before each step: "we normalize the prototypes", official `w = F.normalize(w)`).
   * @example prototypes.normalize_();
   */
  normalize_(): void {
    torch.noGrad(() => {
      for (const w of this.weights()) w.copy_(normalize(w, { dim: 1 }));
    });
  }
}
