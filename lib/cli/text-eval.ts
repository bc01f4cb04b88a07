// `selfsup eval <run folder>` for the runs of `selfsup train clip`: the
// model is rebuilt from the run's config.json and tokenizer.json, its
// weights loaded by key from model.safetensors, and the run's evaluation
// (zero-shot, linear probe, retrieval recall, with floors) computed again and
// written into eval.json.
import * as fs from 'fs';
import * as path from 'path';
import { loadSafetensors } from '../torch/safetensors';
import { writeFileAtomic } from '../torch/atomic-file';
import { WordPieceTokenizer } from '../data/text';
import { buildClip, disposeClipData, evaluateClipRun, formatClipReport, loadClipData } from './clip-run';
import { isTextMethod, TextRunConfig } from './text-run-config';

/** The text run config of `target` when it is a run folder of `selfsup train bert|albert|clip`, else undefined. */
export function textRunOf(target: string): TextRunConfig | undefined {
  const file = path.join(target, 'config.json');
  if (!fs.existsSync(target) || !fs.statSync(target).isDirectory() || !fs.existsSync(file)) return undefined;
  let saved: { config?: { method?: string } };
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof saved;
  } catch {
    return undefined;
  }
  return isTextMethod(saved.config?.method) ? { ...(saved.config as TextRunConfig), out: target } : undefined;
}

/**
 * Evaluates a CLIP run folder again; prints the table and updates the run's eval.json.
 * @example await runTextEval('runs/clip-20261204-230000');
 */
export async function runTextEval(dir: string, options: { log?: (l: string) => void; print?: (t: string) => void } = {}):
  Promise<Record<string, unknown>> {
  const c = textRunOf(dir);
  if (c === undefined) throw new Error(`'${dir}' is not a run folder of selfsup train bert|albert|clip`);
  if (c.method !== 'clip') {
    throw new Error(`selfsup eval of a ${c.method} run is not available in this version: its table is in ${path.join(dir, 'eval.json')}`);
  }
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const print = options.print ?? ((t: string) => process.stdout.write(t));
  for (const f of ['tokenizer.json', 'model.safetensors']) {
    if (!fs.existsSync(path.join(dir, f))) throw new Error(`${dir} has no ${f}: the run did not finish`);
  }
  const tok = WordPieceTokenizer.load(path.join(dir, 'tokenizer.json'));
  const data = await loadClipData(c, tok);
  const clip = buildClip(c, tok.vocabSize, data.channels);
  try {
    const weights = loadSafetensors(path.join(dir, 'model.safetensors'));
    try {
      clip.loadStateDict(weights, { strict: true });
    } catch (err) {
      throw new Error(`The weights in ${path.join(dir, 'model.safetensors')} do not fit the run's CLIP: ${(err as Error).message}`);
    } finally {
      weights.forEach((t) => t.dispose());
    }
    log(`Evaluating ${dir}: zero-shot, linear probe of the image encoder, retrieval on held-out pairs`);
    const evaluation = evaluateClipRun(c, data, tok, clip);
    print(formatClipReport(evaluation, `clip, ${c.steps} steps`));
    const file = path.join(dir, 'eval.json');
    const previous = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> : {};
    const report = { ...previous, eval: evaluation };
    writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    clip.dispose();
    disposeClipData(data);
  }
}
