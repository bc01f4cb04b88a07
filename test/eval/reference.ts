// Runs test/helpers/eval_ref.py (DINO's k-NN classifier and a PyTorch linear
// probe in Debian's python3-torch) on features written to a temp folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { runPythonReference } from '../helpers/python-reference';

/** A tensor as eval_ref.py reads it: a raw little-endian file. */
export interface TensorFile { path: string; shape: number[]; dtype: 'float32' | 'int64' }

/** A temp folder for tensor files, removed by `cleanup`. */
export class TensorFolder {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-eval-'));
  private count = 0;

  /** Writes a float32 or int64 CPU tensor and returns its description. */
  write(t: torch.Tensor): TensorFile {
    const dtype = t.dtype === 'int64' ? 'int64' : 'float32';
    const data = t.to({ dtype, device: 'cpu' }).contiguous().toTypedArray() as Float32Array | BigInt64Array;
    const file = path.join(this.dir, `t${this.count++}.bin`);
    fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    return { path: file, shape: [...t.shape], dtype };
  }

  /** A labelled feature set as a case field. */
  set(s: { features: torch.Tensor; labels: torch.Tensor }): { features: TensorFile; labels: TensorFile } {
    return torch.scope(() => ({ features: this.write(s.features), labels: this.write(s.labels) }));
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sends `cases` to eval_ref.py and returns its answers; throws with PyTorch's message when a case failed. */
export function runEvalRef<T>(cases: object[]): T[] {
  const results = runPythonReference<(T & { error?: string })[]>('eval_ref.py', cases);
  results.forEach((r, i) => {
    if (r.error !== undefined) throw new Error(`eval_ref.py case ${i}: ${r.error}`);
  });
  return results;
}

/**
 * Seeded Gaussian blobs: `n` features of dimension `d` around `classes`
 * random centres (spread `spread`), labels balanced and shuffled.
 */
export function blobs(options: { n: number; d: number; classes: number; spread: number; seed: number; centreSeed?: number }):
{ features: torch.Tensor; labels: torch.Tensor } {
  const { n, d, classes, spread, seed } = options;
  return torch.scope(() => {
    // The centres depend on centreSeed only, so train and test sets (other seeds) share them.
    const centres = torch.randn([classes, d], { generator: new torch.Generator().manualSeed(options.centreSeed ?? 12345) }); // (C, D)
    const g = new torch.Generator().manualSeed(seed);
    const labels = torch.arange(n).remainder(classes).indexSelect(0, torch.randperm(n, { generator: g })); // (N)
    const features = centres.indexSelect(0, labels).add(torch.randn([n, d], { generator: g }).mul(spread)); // (N, D)
    return { features, labels };
  });
}
