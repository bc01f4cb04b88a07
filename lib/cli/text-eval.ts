// `selfsup eval <run folder>` for the runs of `selfsup train bert|albert|clip`:
// the model is rebuilt from the run's config.json and tokenizer.json, its
// weights loaded by key from model.safetensors, and the run's evaluation
// computed again and written into eval.json: for clip zero-shot, linear probe
// and retrieval recall; for bert/albert held-out MLM accuracy, perplexity,
// NSP/SOP accuracy and the fortune-category probe; each next to its floors.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../torch';
import { loadSafetensors } from '../torch/safetensors';
import { writeFileAtomic } from '../torch/atomic-file';
import { WordPieceTokenizer } from '../data/text';
import { buildClip, disposeClipData, evaluateClipRun, formatClipReport, loadClipData } from './clip-run';
import { textRunOf, TextRunConfig } from './text-run-config';
import { evaluatePretrainingRun, formatPretrainingReport, fortunesSplit, pretrainingMethod } from './text-pretraining-run';

export { textRunOf } from './text-run-config';

/** Loads a run's model.safetensors into `model`, strictly by key; a misfit names the file. */
function loadRunWeights(dir: string, model: { loadStateDict(sd: Map<string, Tensor>, o: { strict: boolean }): unknown }, what: string): void {
  const file = path.join(dir, 'model.safetensors');
  const weights = loadSafetensors(file);
  try {
    model.loadStateDict(weights, { strict: true });
  } catch (err) {
    throw new Error(`The weights in ${file} do not fit the run's ${what}: ${(err as Error).message}`);
  } finally {
    weights.forEach((t) => t.dispose());
  }
}

/** Writes `evaluation` as eval.json's `eval`, keeping the run's other records (loss history, steps). */
function updateEvalJson(dir: string, evaluation: unknown): Record<string, unknown> {
  const file = path.join(dir, 'eval.json');
  const previous = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> : {};
  const report = { ...previous, eval: evaluation };
  writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** `selfsup eval` of a bert/albert run: the pre-training table and the text probe, written into eval.json. */
function evalPretrainingRun(dir: string, c: TextRunConfig, tok: WordPieceTokenizer, log: (l: string) => void,
  print: (t: string) => void): Record<string, unknown> {
  const method = pretrainingMethod(c, tok.vocabSize);
  try {
    loadRunWeights(dir, method, c.method.toUpperCase());
    log(`Evaluating ${dir}: held-out MLM and ${method.pairTask.toUpperCase()}, the fortune-category probe`);
    const evaluation = evaluatePretrainingRun(c, tok, fortunesSplit(), method, log);
    print(formatPretrainingReport(evaluation, method.pairTask, tok.vocabSize, `${c.method}, ${c.steps} steps`));
    return updateEvalJson(dir, evaluation);
  } finally {
    method.dispose();
  }
}

/**
 * Evaluates a bert, albert or clip run folder again; prints the table and updates the run's eval.json.
 * @example await runTextEval('runs/clip-20261204-230000');
 */
export async function runTextEval(dir: string, options: { log?: (l: string) => void; print?: (t: string) => void } = {}):
  Promise<Record<string, unknown>> {
  const c = textRunOf(dir);
  if (c === undefined) throw new Error(`'${dir}' is not a run folder of selfsup train bert|albert|clip`);
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const print = options.print ?? ((t: string) => process.stdout.write(t));
  for (const f of ['tokenizer.json', 'model.safetensors']) {
    if (!fs.existsSync(path.join(dir, f))) throw new Error(`${dir} has no ${f}: the run did not finish`);
  }
  const tok = WordPieceTokenizer.load(path.join(dir, 'tokenizer.json'));
  if (c.method !== 'clip') return evalPretrainingRun(dir, c, tok, log, print);
  const data = await loadClipData(c, tok);
  const clip = buildClip(c, tok.vocabSize, data.channels);
  try {
    loadRunWeights(dir, clip, 'CLIP');
    log(`Evaluating ${dir}: zero-shot, linear probe of the image encoder, retrieval on held-out pairs`);
    const evaluation = evaluateClipRun(c, data, tok, clip);
    print(formatClipReport(evaluation, `clip, ${c.steps} steps`));
    return updateEvalJson(dir, evaluation);
  } finally {
    clip.dispose();
    disposeClipData(data);
  }
}
