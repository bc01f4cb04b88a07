// CPU inference: ONNX Runtime (onnxruntime-node) on the exported encoder next
// to selfsup's own eval-mode forward (libtorch), same weights, same inputs,
// batch 1 and 64, best of `repeats` after a warm-up, one thread count for
// both (selfsup's). Prints the markdown table of docs/bench.md. Not a test.
//
//   node dist/scripts/bench-onnx.js [repeats=5]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as torch from '../lib/torch';
import { create } from '../lib/models/registry';
import { exportOnnx } from '../lib/export/onnx/export';

// ONNX Runtime's 1DS telemetry off unless the caller chose (docs/export.md, "ONNX Runtime's telemetry").
process.env.ORT_DISABLE_TELEMETRY ??= '1';
const repeats = Number(process.argv[2] ?? 5);
const ENCODERS: [string, string, Record<string, unknown>, number[]][] = [
  ['small_cnn (width 16)', 'small_cnn', { inChannels: 1, width: 16 }, [1, 28, 28]],
  ['resnet18 (small-image stem)', 'resnet18', { inChannels: 3, smallImages: true }, [3, 32, 32]],
  ['vit_tiny_patch4 (32 px)', 'vit_tiny_patch4_224', { inChannels: 3, imgSize: 32 }, [3, 32, 32]],
];

async function best(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  let t = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t;
}

async function main(): Promise<void> {
  const threads = torch.getNumThreads();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bench-onnx-'));
  const rows: string[] = [];
  for (const [label, name, options, chw] of ENCODERS) {
    torch.manualSeed(0);
    const enc = create(name, { ...options, numClasses: 0 });
    enc.eval();
    const file = path.join(dir, `${name}.onnx`);
    exportOnnx(enc, torch.zeros([1, ...chw]), file);
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    for (const b of [1, 64]) {
      const x = torch.randn([b, ...chw]);
      const feed = { input: new ort.Tensor('float32', x.toTypedArray() as Float32Array, [b, ...chw]) };
      const tOrt = await best(() => session.run(feed));
      const tSelf = await best(() => torch.noGrad(() => torch.scope(() => { enc.forward(x).toTypedArray(); })));
      rows.push(`| ${label} | ${b} | ${(b / tSelf).toFixed(0)} | ${(b / tOrt).toFixed(0)} | ${(tSelf / tOrt).toFixed(2)} |`);
      x.dispose();
    }
    await session.release();
    enc.dispose();
  }
  console.log(`CPU, ${threads} threads, ${os.cpus()[0]?.model ?? 'unknown CPU'}, best of ${repeats}; images/s`);
  console.log('| encoder | batch | selfsup (libtorch) | ONNX Runtime | ORT speed-up |');
  console.log('| --- | --- | --- | --- | --- |');
  rows.forEach((r) => console.log(r));
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
