// Checkpoint speed: MB/s of saving and loading ResNet-50's state dict
// (25.6 M float32 parameters + buffers, ~102 MB) as safetensors from Node,
// next to torch.save / torch.load and a plain safetensors writer/reader in
// Python (scripts/bench_safetensors.py) on the same machine, one after the
// other, best of `repeats` each. Not a test: run it by hand.
//
//   node dist/scripts/bench-safetensors.js [repeats=3] [rounds=2]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../lib/torch';
import * as models from '../lib/models';
import { runPythonBench } from './bench-python';

const repeats = Number(process.argv[2] ?? 3);
const rounds = Number(process.argv[3] ?? 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bench-st-'));
const file = path.join(dir, 'node.safetensors');

torch.manualSeed(0);
const model = models.resnet50();
const sd = model.stateDict();
const bytes = [...sd.values()].reduce((n, t) => n + t.numel() * (t.dtype === 'int64' ? 8 : 4), 0);

async function bestRate(fn: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    const out = await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    if (out instanceof Map) for (const t of out.values()) (t as torch.Tensor).dispose();
  }
  return bytes / best / 1e6;
}

async function main(): Promise<void> {
  const node: Record<string, number> = {};
  const py: Record<string, number> = {};
  const keep = (into: Record<string, number>, k: string, v: number): void => { into[k] = Math.max(into[k] ?? 0, v); };
  for (let r = 0; r < rounds; r++) {
    keep(node, 'saveSafetensors (fsync)', await bestRate(() => torch.saveSafetensors(file, sd)));
    keep(node, 'saveSafetensorsAsync (fsync)', await bestRate(() => torch.saveSafetensorsAsync(file, sd)));
    keep(node, 'loadSafetensors', await bestRate(() => torch.loadSafetensors(file)));
    keep(node, 'loadSafetensorsAsync', await bestRate(() => torch.loadSafetensorsAsync(file)));
    const out = runPythonBench<Record<string, number>>('bench_safetensors.py', [dir, String(repeats)]);
    for (const [k, v] of Object.entries(out)) if (k !== 'bytes') keep(py, k, v);
  }
  console.log(`ResNet-50 state dict, ${(bytes / 1e6).toFixed(1)} MB, best of ${repeats} x ${rounds} rounds, MB/s (higher is better)`);
  console.log('| Node | MB/s | Python | MB/s |');
  console.log('|---|---|---|---|');
  const n = Object.entries(node);
  const p = Object.entries(py);
  for (let i = 0; i < Math.max(n.length, p.length); i++) {
    console.log(`| ${n[i]?.[0] ?? ''} | ${n[i]?.[1].toFixed(0) ?? ''} | ${p[i]?.[0] ?? ''} | ${p[i]?.[1].toFixed(0) ?? ''} |`);
  }
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
