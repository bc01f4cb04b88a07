// A training step captured once into a CUDA graph and replayed: PyTorch's
// "whole network capture" (static inputs, warm-up on a side stream, capture,
// replay), driven from TypeScript.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';

/** `GraphedStep`'s options: defaults and checks. */
export const GRAPHED_STEP_OPTIONS = defineOptions({
  /**
   * Eager steps before the capture (default 3): they create the optimizer
   * state and device scalars, and let cuDNN/cuBLAS pick their kernels.
   */
  warmupSteps: option(3, is.int(1)),
  /**
   * 'cuda' (default): capture and replay a CUDA graph. 'rehearse': the same
   * warm-up steps and static buffers, then every step run eagerly with the
   * capture rules checked (`torch.cuda.checkCapturable`): the graph path
   * without a GPU, for tests.
   */
  mode: option<'cuda' | 'rehearse'>('cuda', is.oneOf(['cuda', 'rehearse'])),
});

/** Options of `GraphedStep`. */
export type GraphedStepOptions = GivenOptions<typeof GRAPHED_STEP_OPTIONS.specs>;

/**
 * Runs `body` on static copies of its inputs: eagerly for the warm-up steps,
 * then captured once and replayed. Each `run(inputs)` copies `inputs` into the
 * static buffers, so every call must pass tensors of the same shapes, dtypes,
 * devices and memory formats. The returned tensors are the step's outputs
 * (owned by the GraphedStep: valid until the next `run` or `dispose`; read
 * them with `item()` after `run` returns).
 *
 * Host-side values that change from step to step (learning rate, EMA
 * momentum) must live in `torch.DeviceScalar`s set before each `run` (see
 * `prepareStep` in optimization-step.ts): the JavaScript of `body` does not
 * run when the graph is replayed.
 *
 * @example
 * const graphed = new GraphedStep((views) => { const { loss } = optimizationStep(method, views, p, s); return { loss }; });
 * for (const batch of batches) { prepareStep(method, optimizer, p); const { loss } = graphed.run(batch); }
 */
export class GraphedStep<O extends Record<string, Tensor>> {
  readonly warmupSteps: number;
  readonly mode: 'cuda' | 'rehearse';
  private statics: Tensor[] | undefined;
  private outputs: O | undefined;
  private graph: torch.cuda.CUDAGraph | undefined;
  private calls = 0;

  constructor(private readonly body: (inputs: Tensor[]) => O, options: GraphedStepOptions = {}) {
    if (typeof body !== 'function') throw new TypeError(`Expected a function for the step body but received ${String(body)}`);
    const o = GRAPHED_STEP_OPTIONS.resolve(options, (k) => k);
    this.warmupSteps = o.warmupSteps;
    this.mode = o.mode;
  }

  /** Whether the step has been captured (the next runs replay it). */
  get captured(): boolean {
    return this.graph?.isCaptured ?? false;
  }

  /** Runs one step on `inputs` (copied into the static buffers) and returns its outputs. */
  run(inputs: Tensor[]): O {
    const statics = this.load(inputs);
    if (this.calls < this.warmupSteps) {
      this.setOutputs(this.mode === 'cuda' ? torch.cuda.onSideStream(() => this.eager(statics)) : this.eager(statics));
    } else if (this.mode === 'rehearse') {
      this.setOutputs(torch.cuda.checkCapturable(() => this.eager(statics)));
    } else if (this.graph === undefined) {
      this.setOutputs(undefined);
      const graph = new torch.cuda.CUDAGraph();
      this.graph = graph;
      try {
        graph.capture(() => { this.outputs = this.eager(statics); });
      } catch (e) {
        this.graph = undefined;
        graph.dispose();
        throw e;
      }
      // Capture records the kernels without running them: this step runs now.
      graph.replay();
    } else {
      this.graph.replay();
    }
    this.calls++;
    return this.outputs!;
  }

  /** Frees the graph, the static buffers and the outputs. */
  dispose(): void {
    this.setOutputs(undefined);
    this.graph?.dispose();
    this.graph = undefined;
    for (const t of this.statics ?? []) t.dispose();
    this.statics = undefined;
  }

  /** The body in a scope whose outputs are kept (they outlive the caller's scope). */
  private eager(statics: Tensor[]): O {
    const out = torch.scope(() => this.body(statics));
    for (const t of Object.values(out)) torch.keep(t);
    return out;
  }

  private setOutputs(outputs: O | undefined): void {
    if (this.outputs !== undefined) for (const t of Object.values(this.outputs)) t.dispose();
    this.outputs = outputs;
  }

  /** Copies `inputs` into the static buffers (created from the first call's inputs). */
  private load(inputs: Tensor[]): Tensor[] {
    if (!Array.isArray(inputs) || inputs.some((t) => !(t instanceof torch.Tensor))) {
      throw new TypeError('Expected an array of Tensors for the step inputs but received ' + String(inputs));
    }
    if (this.statics === undefined) {
      // NOTE: clone keeps the memory format (channels-last views stay channels-last).
      this.statics = torch.scope(() => inputs.map((t) => torch.keep(t.detach().clone({ memoryFormat: 'preserve_format' }))));
      return this.statics;
    }
    const statics = this.statics;
    if (inputs.length !== statics.length) {
      throw new RangeError(`The graphed step takes ${statics.length} inputs (as at its first run) but received ${inputs.length}`);
    }
    inputs.forEach((t, i) => {
      const s = statics[i];
      if (t.shape.join() !== s.shape.join() || t.dtype !== s.dtype || t.device !== s.device) {
        throw new RangeError(`Input ${i} of the graphed step must keep the shape, dtype and device of the first run ` +
          `([${s.shape.join(', ')}] ${s.dtype} on ${s.device}) but received [${t.shape.join(', ')}] ${t.dtype} on ` +
          `${t.device}: a captured step cannot change shapes (drop the last partial batch)`);
      }
      s.copy_(t);
    });
    return statics;
  }
}
