// `selfsup embed` speed against a plain no-grad forward loop over the same
// images (the encoder's inference speed): images/s of runEmbed's feature
// extraction (evaluate.extractFeatures, as the command reports it) next to a
// loop that normalises each batch and calls encoder.forward under noGrad,
// alternating, best of `rounds`. Not a test: run it by hand.
//
//   node dist/scripts/bench-embed.js [images=10000] [rounds=3] [encoder=small_cnn] [batch=512]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../lib/torch';
import { create } from '../lib/models/registry';
import { saveSafetensors } from '../lib/torch/safetensors';
import { loadDataSplit, parseDataSpec } from '../lib/cli/data-spec';
import { disposeDataset } from '../lib/data/dataset';
import { normalize, toFloatImages } from '../lib/data/transforms/normalize';
import { runEmbed } from '../lib/cli/embed';
import { encoderOptionsFor } from '../lib/cli/train';

const images = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 3);
const encoderName = process.argv[4] ?? 'small_cnn';
const batch = Number(process.argv[5] ?? 512);

async function main(): Promise<void> {
  const test = await loadDataSplit(parseDataSpec('fashion-mnist'), 'test');
  if (test === undefined) throw new Error('no Fashion-MNIST test split');
  const options = encoderOptionsFor(encoderName, test.images.shape, encoderName === 'small_cnn' ? { width: 16 } : {});
  torch.manualSeed(0);
  const encoder = create(encoderName, options);
  encoder.eval();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bench-embed-'));
  const file = path.join(dir, 'encoder.safetensors');
  saveSafetensors(file, encoder.stateDict());
  const n = Math.min(images, test.length);
  // The plain loop: the same normalisation and batches, forward under noGrad, features copied to the CPU.
  const plain = (): number => {
    const t0 = process.hrtime.bigint();
    torch.noGrad(() => {
      for (let s = 0; s < n; s += batch) {
        torch.scope(() => {
          const x = normalize(toFloatImages(test.images.narrow(0, s, Math.min(batch, n - s))), test.mean, test.std);
          encoder.forward(x).cpu().toTypedArray();
        });
      }
    });
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const rates = { plain: 0, embed: 0 };
  for (let r = 0; r < rounds; r++) {
    rates.plain = Math.max(rates.plain, plain());
    const res = await runEmbed(file, { encoder: encoderName, encoderOptions: options, data: 'fashion-mnist', limit: n,
      batchSize: batch, out: path.join(dir, 'e.safetensors'), log: () => undefined });
    rates.embed = Math.max(rates.embed, res.imagesPerSecond);
  }
  console.log(`${encoderName} on ${n} Fashion-MNIST test images, batch ${batch}, ${torch.getNumThreads()} threads, best of ${rounds}:`);
  console.log(`  plain no-grad forward loop  ${rates.plain.toFixed(0)} images/s`);
  console.log(`  selfsup embed               ${rates.embed.toFixed(0)} images/s (${(100 * rates.embed / rates.plain).toFixed(1)}%)`);
  fs.rmSync(dir, { recursive: true, force: true });
  disposeDataset(test);
  encoder.dispose();
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
