// libtorch's warnings as Node warnings. libtorch prints its TORCH_WARN
// messages to stderr by default; the addon installs a c10 warning handler
// (native/warnings.cc) that buffers them instead, and this module turns them
// into `process.emitWarning(message, 'TorchWarning')` (hidden by
// --no-warnings, seen by process.on('warning')), each distinct message once
// per process as Python's default warning filter does, or hands them to
// `catchWarnings`.
import { native, NativeWarning } from './native';

/** A warning libtorch raised: its message and where in libtorch's sources. */
export interface TorchWarning {
  message: string;
  /** libtorch's source file and line (e.g. `../aten/src/ATen/native/Resize.cpp:17`). */
  source: string;
}

/** Messages already emitted (a warning raised at every step is shown once). */
const emitted = new Set<string>();

/** The warnings of each `catchWarnings` call in progress, innermost last. */
const collectors: TorchWarning[][] = [];

function toWarning(w: NativeWarning): TorchWarning {
  return { message: w.message, source: `${w.file}:${w.line}` };
}

/** Hands the buffered warnings to the innermost `catchWarnings`, or emits them as Node warnings. */
function drain(): void {
  const pending = native.takeWarnings();
  if (pending.length === 0) return;
  const collector = collectors[collectors.length - 1];
  for (const w of pending.map(toWarning)) {
    if (collector !== undefined) collector.push(w);
    else if (!emitted.has(w.source + w.message)) {
      emitted.add(w.source + w.message);
      process.emitWarning(w.message, { type: 'TorchWarning', detail: `(libtorch ${w.source})` });
    }
  }
}

native.installWarningHandler(drain);

/**
 * Runs `fn` and returns its result with the warnings libtorch raised
 * meanwhile (instead of emitting them), as Python's
 * `warnings.catch_warnings(record=True)`. Tests use it to require that a
 * step raises none.
 *
 * @example
 * const { warnings } = torch.catchWarnings(() => graphed.run(views));
 * assert.deepEqual(warnings, []);
 */
export function catchWarnings<T>(fn: () => T): { result: T; warnings: TorchWarning[] } {
  drain();
  const mine: TorchWarning[] = [];
  collectors.push(mine);
  try {
    const result = fn();
    drain();
    return { result, warnings: mine };
  } finally {
    collectors.pop();
  }
}
