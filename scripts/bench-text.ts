// The speed proof of issue 20, on the CPU: (1) one training step of BERT
// pre-training (MLM + NSP) and of CLIP, Node (lib/ssl, lib/optim) against the
// same model written in PyTorch (scripts/bench_text.py, on the same libtorch),
// median milliseconds per step and the ratio (Node speed / Python speed: above
// 1, Node is faster); (2) the WordPiece tokenizer's encoding speed against the
// tokens a BERT step consumes, which must be 10x or more.
//
// The models are those of `selfsup train bert|clip` (BERT: vocabulary 4,096,
// H=128, 2 layers, 2 heads, FFN 512, batch 32 x 64 tokens; CLIP: small_cnn
// width 16 on 28 px + a 2-layer H=64 text encoder, batch 128 x 16 tokens),
// dropout off (the PyTorch reference has none). Batches are fixed tensors built
// by one formula on both sides; MLM takes every 7th position (about 14%), and
// both sides send only those through the vocabulary projection (as
// google-research/bert's gather_indexes). A step is zero_grad, forward, loss,
// backward, clipping (BERT, 1.0), AdamW, the logit-scale clamp (CLIP). Node
// and Python take turns round by round, as scripts/bench-ssl.ts.
//
//   node dist/scripts/bench-text.js [--quick] [--threads n] [--rounds 3] [--steps 3] [--warmup 1]
//
// The tokenizer is timed on a cold cache: a vocabulary of 4,096 is learned on
// the training fortunes, saved and loaded again, then every held-out and
// training fortune is encoded in batches of 32 at 64 tokens (the CLI's
// settings); tokens counted are the non-padding ones.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../lib/torch';
import { Tensor } from '../lib/torch';
import { fortunesCorpus, WordPieceTokenizer } from '../lib/data/text';
import { BertPretraining } from '../lib/ssl/bert-pretraining';
import { CLIP } from '../lib/ssl/clip';
import { TextBatch } from '../lib/ssl/text-pretraining';
import { textOptimizer } from '../lib/train/text-trainer';
import { clipGradNorm_ } from '../lib/optim/clip';
import { defaultThreads } from '../lib/torch/threads';
import { median, runPythonBench } from './bench-python';
import { Samples, timeSteps } from './step-samples';

const CONFIG = {
  bert: {
    vocabSize: 4096, hiddenSize: 128, layers: 2, heads: 2, intermediateSize: 512, maxPositionEmbeddings: 64,
    batch: 32, length: 64, lr: 1e-3, weightDecay: 0.01, clipGrad: 1.0,
  },
  clip: {
    batch: 128, size: 28, width: 16, embedDim: 64, lr: 1e-3, weightDecay: 0.2,
    text: { vocabSize: 300, hiddenSize: 64, layers: 2, heads: 2, intermediateSize: 256, maxPositionEmbeddings: 32, length: 16 },
  },
};
type CaseName = keyof typeof CONFIG;
const NAMES = Object.keys(CONFIG) as CaseName[];
const LABELS: Record<CaseName, string> = {
  bert: 'BERT MLM+NSP, H128 x 2 layers, vocab 4,096, b32 x 64 tokens (AdamW, clip 1.0)',
  clip: 'CLIP small_cnn w16 28px + text H64 x 2, b128 x 16 tokens (AdamW)',
};

interface Options { threads: number; rounds: number; steps: number; warmup: number }

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { threads: defaultThreads().count, rounds: 3, steps: 3, warmup: 1 };
  const count = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`Expected an integer >= ${min} for ${flag} but received ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') [o.rounds, o.steps] = [2, 1];
    else if (flag === '--threads') o.threads = count(flag, argv[++i], 1);
    else if (flag === '--rounds') o.rounds = count(flag, argv[++i], 1);
    else if (flag === '--steps') o.steps = count(flag, argv[++i], 1);
    else if (flag === '--warmup') o.warmup = count(flag, argv[++i], 0);
    else throw new RangeError(`Unknown option '${flag}'; expected --quick, --threads, --rounds, --steps or --warmup`);
  }
  return o;
}

function textConfig(c: typeof CONFIG.clip.text | typeof CONFIG.bert) {
  return {
    vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, numHiddenLayers: c.layers, numAttentionHeads: c.heads,
    intermediateSize: c.intermediateSize, maxPositionEmbeddings: c.maxPositionEmbeddings, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
  };
}

/** An int64 (B, T) tensor from `f(b, t)`. */
function grid(B: number, T: number, f: (b: number, t: number) => number): Tensor {
  const out = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[b * T + t] = BigInt(f(b, t));
  return torch.tensor(out, { shape: [B, T] });
}

/** bench_text.py's token_ids: ids past the special tokens, [CLS] first. */
const tokenId = (V: number) => (b: number, t: number): number => (t === 0 ? 2 : 5 + ((b * 131 + t * 17) % (V - 5)));

interface Runner { step(): void; dispose(): void }

function build(name: CaseName): Runner {
  if (name === 'bert') {
    const c = CONFIG.bert;
    const method = new BertPretraining({ config: textConfig(c) });
    const opt = textOptimizer('adamw', method.parameterGroups(c.weightDecay), c.lr, [0.9, 0.999]);
    const [B, T] = [c.batch, c.length];
    const batch: TextBatch = {
      inputIds: grid(B, T, tokenId(c.vocabSize)), tokenTypeIds: grid(B, T, (_, t) => (t < T / 2 ? 0 : 1)),
      attentionMask: grid(B, T, () => 1),
      labels: grid(B, T, (b, t) => (t > 0 && (b * T + t) % 7 === 3 ? tokenId(c.vocabSize)(b, t) : -100)),
      pairLabels: torch.tensor(BigInt64Array.from({ length: B }, (_, b) => BigInt(b % 2)), { shape: [B] }),
    };
    const params = method.parameters();
    method.train();
    return {
      step: () => torch.scope(() => {
        opt.zeroGrad();
        method.trainingStep(batch).loss.backward();
        clipGradNorm_(params, c.clipGrad);
        opt.step();
      }),
      dispose: () => { opt.dispose(); method.dispose(); Object.values(batch).forEach((t) => t.dispose()); },
    };
  }
  const c = CONFIG.clip;
  const clip = new CLIP({ imageEncoder: 'small_cnn', imageEncoderOptions: { inChannels: 1, width: c.width }, embedDim: c.embedDim,
    textConfig: textConfig(c.text) });
  const opt = textOptimizer('adamw', clip.parameterGroups(c.weightDecay), c.lr, [0.9, 0.98]);
  const [B, T] = [c.batch, c.text.length];
  const batch = {
    images: torch.randn([B, 1, c.size, c.size]), inputIds: grid(B, T, tokenId(c.text.vocabSize)),
    tokenTypeIds: grid(B, T, () => 0), attentionMask: grid(B, T, () => 1),
  };
  clip.train();
  return {
    step: () => torch.scope(() => {
      opt.zeroGrad();
      clip.trainingStep(batch).loss.backward();
      opt.step();
      clip.afterOptimizerStep();
    }),
    dispose: () => { opt.dispose(); clip.dispose(); Object.values(batch).forEach((t) => t.dispose()); },
  };
}

function timeNode(name: CaseName, o: Options): Samples {
  torch.manualSeed(0);
  const runner = build(name);
  try {
    return timeSteps(() => runner.step(), o.warmup, o.steps);
  } finally {
    runner.dispose();
  }
}

/** Non-padding tokens per second of encoding every fortune with a freshly loaded tokenizer (cold word cache). */
function tokenizerSpeed(): { tokensPerSecond: number; tokens: number; seconds: number } {
  const docs = fortunesCorpus().documents;
  const trained = WordPieceTokenizer.train(docs.flatMap((d) => d.sentences), { vocabSize: CONFIG.bert.vocabSize });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bench-text-'));
  try {
    trained.save(path.join(dir, 'tokenizer.json'));
    const tok = WordPieceTokenizer.load(path.join(dir, 'tokenizer.json'));
    const texts = docs.map((d) => d.sentences.join(' '));
    let tokens = 0;
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < texts.length; s += CONFIG.bert.batch) {
      const enc = tok.encodeBatch(texts.slice(s, s + CONFIG.bert.batch), { maxLength: CONFIG.bert.length });
      tokens += Number(torch.scope(() => enc.attentionMask.sum().item()));
      Object.values(enc).forEach((t) => t.dispose());
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { tokensPerSecond: tokens / seconds, tokens, seconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  torch.setNumThreads(o.threads);
  const node: Record<string, Samples> = {};
  const py: Record<string, Samples> = {};
  const add = (into: Record<string, Samples>, name: string, s: Samples): void => {
    const old = into[name] ?? { wall: [], cpu: [] };
    into[name] = { wall: [...old.wall, ...s.wall], cpu: [...old.cpu, ...s.cpu] };
  };
  const job = JSON.stringify({ cases: NAMES, config: CONFIG, steps: o.steps, warmup: o.warmup, threads: o.threads });
  const runNode = (): void => NAMES.forEach((name) => add(node, name, timeNode(name, o)));
  const runPython = (): void => {
    for (const [name, s] of Object.entries(runPythonBench<Record<string, Samples>>('bench_text.py', [job]))) add(py, name, s);
  };
  for (let round = 0; round < o.rounds; round++) {
    if (round % 2 === 0) { runNode(); runPython(); } else { runPython(); runNode(); }
  }
  console.log(`libtorch ${torch.config().torchVersion}, CPU, ${o.threads} thread(s); median of ${o.steps} step(s) x ${o.rounds} ` +
    `alternating rounds, each after ${o.warmup} warm-up step(s); ratio = Node speed / Python speed (above 1: Node is faster)`);
  console.log('| workload | Node ms/step | Python ms/step | ratio | ratio (CPU time) |');
  console.log('|---|---|---|---|---|');
  for (const name of NAMES) {
    const [nw, pw, nc, pc] = [node[name].wall, py[name].wall, node[name].cpu, py[name].cpu].map(median);
    console.log(`| ${LABELS[name]} | ${(nw * 1e3).toFixed(1)} | ${(pw * 1e3).toFixed(1)} | ${(pw / nw).toFixed(2)} | ${(pc / nc).toFixed(2)} |`);
  }
  const tok = tokenizerSpeed();
  const consumed = (CONFIG.bert.batch * CONFIG.bert.length) / median(node.bert.wall);
  const ratio = tok.tokensPerSecond / consumed;
  console.log(`\nTokenizer: ${tok.tokens.toLocaleString('en-US')} tokens of ${fortunesCorpus().documents.length.toLocaleString('en-US')} ` +
    `fortunes in ${tok.seconds.toFixed(2)} s = ${Math.round(tok.tokensPerSecond).toLocaleString('en-US')} tokens/s (one thread, cold cache); ` +
    `the BERT step consumes ${Math.round(consumed).toLocaleString('en-US')} tokens/s: ${ratio.toFixed(0)}x ` +
    `(${ratio >= 10 ? 'meets' : 'MISSES'} the 10x the issue asks)`);
}

main();
