// libtorch's math-mode switches, as torch.backends.cuda.matmul, torch.backends.cudnn
// and torch.set_float32_matmul_precision. They live in libtorch's global
// context (native/backends.cc), so what they say is what the kernels use.
// Defaults are PyTorch's: TF32 off for matmuls, on for cuDNN convolutions,
// cuDNN benchmark and deterministic off, float32 matmul precision 'highest'.
import { native } from './native';

/** The float32 matmul precisions, as torch.set_float32_matmul_precision. */
export type Float32MatmulPrecision = 'highest' | 'high' | 'medium';

function setFlag(name: 'matmulAllowTF32' | 'cudnnAllowTF32' | 'cudnnBenchmark' | 'cudnnDeterministic', value: unknown,
  shown: string): void {
  if (typeof value !== 'boolean') throw new TypeError(`Expected a boolean for ${shown} but received ${String(value)}`);
  native.backendsSet(name, value);
}

/**
 * torch.backends: `cuda.matmul.allowTF32` (cuBLAS float32 matmuls on TF32
 * tensor cores, default false), `cudnn.allowTF32` (cuDNN float32
 * convolutions on TF32, default true), `cudnn.benchmark` (time the candidate
 * convolution algorithms per shape and keep the fastest, default false),
 * `cudnn.deterministic` (only deterministic convolution algorithms, default
 * false). Read and set them like PyTorch's attributes; they can be set on a
 * CPU build too, where they change nothing.
 *
 * @example
 * torch.backends.cudnn.allowTF32 = false;          // exact float32 convolutions (parity tests)
 * torch.backends.cuda.matmul.allowTF32;            // false
 */
export const backends = {
  cuda: {
    matmul: {
      get allowTF32(): boolean { return native.backendsGet().matmulAllowTF32; },
      set allowTF32(v: boolean) { setFlag('matmulAllowTF32', v, 'torch.backends.cuda.matmul.allowTF32'); },
    },
  },
  cudnn: {
    get allowTF32(): boolean { return native.backendsGet().cudnnAllowTF32; },
    set allowTF32(v: boolean) { setFlag('cudnnAllowTF32', v, 'torch.backends.cudnn.allowTF32'); },
    get benchmark(): boolean { return native.backendsGet().cudnnBenchmark; },
    set benchmark(v: boolean) { setFlag('cudnnBenchmark', v, 'torch.backends.cudnn.benchmark'); },
    get deterministic(): boolean { return native.backendsGet().cudnnDeterministic; },
    set deterministic(v: boolean) { setFlag('cudnnDeterministic', v, 'torch.backends.cudnn.deterministic'); },
  },
};

/**
 * Sets the internal precision of float32 matrix products, as
 * torch.set_float32_matmul_precision: 'highest' (full float32, the default),
 * 'high' (TF32 tensor cores allowed; the same switch as
 * `backends.cuda.matmul.allowTF32 = true`), 'medium' (bfloat16 allowed).
 *
 * @example torch.setFloat32MatmulPrecision('high');
 */
export function setFloat32MatmulPrecision(precision: Float32MatmulPrecision): void {
  if (precision !== 'highest' && precision !== 'high' && precision !== 'medium') {
    throw new TypeError(`Expected 'highest', 'high' or 'medium' for the float32 matmul precision but received '${String(precision)}'`);
  }
  native.backendsSet('float32MatmulPrecision', precision);
}

/**
 * The current float32 matmul precision, as torch.get_float32_matmul_precision.
 * @example torch.getFloat32MatmulPrecision(); // 'highest'
 */
export function getFloat32MatmulPrecision(): Float32MatmulPrecision {
  return native.backendsGet().float32MatmulPrecision;
}

/** A snapshot of every switch (for restoring them after a test or a benchmark). */
export interface BackendState {
  matmulAllowTF32: boolean;
  cudnnAllowTF32: boolean;
  cudnnBenchmark: boolean;
  cudnnDeterministic: boolean;
  float32MatmulPrecision: Float32MatmulPrecision;
}

/**
 * Runs `fn` with some switches set and restores all of them afterwards, even when it throws.
 * @example withBackends({ cudnnAllowTF32: false }, () => model.forward(x));
 */
export function withBackends<T>(state: Partial<BackendState>, fn: () => T): T {
  const saved = native.backendsGet();
  try {
    applyBackends(state);
    return fn();
  } finally {
    applyBackends(saved);
  }
}

/**
 * Sets the switches named in `state` (a snapshot from `backendState()`, say); the others keep their values.
 * @example const saved = torch.backendState(); ...; torch.setBackends(saved);
 */
export function setBackends(state: Partial<BackendState>): void {
  applyBackends(state);
}

/**
 * Every switch's current value.
 * @example torch.backendState().cudnnAllowTF32 // true
 */
export function backendState(): BackendState {
  return native.backendsGet();
}

function applyBackends(state: Partial<BackendState>): void {
  // NOTE: libtorch keeps one setting for both: allowTF32 = true means
  // precision 'high'. The precision goes last so that a snapshot with
  // 'medium' comes back as 'medium'.
  if (state.matmulAllowTF32 !== undefined) setFlag('matmulAllowTF32', state.matmulAllowTF32, 'matmulAllowTF32');
  if (state.float32MatmulPrecision !== undefined) setFloat32MatmulPrecision(state.float32MatmulPrecision);
  if (state.cudnnAllowTF32 !== undefined) setFlag('cudnnAllowTF32', state.cudnnAllowTF32, 'cudnnAllowTF32');
  if (state.cudnnBenchmark !== undefined) setFlag('cudnnBenchmark', state.cudnnBenchmark, 'cudnnBenchmark');
  if (state.cudnnDeterministic !== undefined) setFlag('cudnnDeterministic', state.cudnnDeterministic, 'cudnnDeterministic');
}
