// A generator's state as base64 text, so that the data's position can sit in
// a checkpoint's JSON (BERT/ALBERT pair batches, CLIP caption batches).
import * as torch from '../torch';
import { Generator } from '../torch';

/** A generator's state as base64 (JSON-able). @example const saved = generatorState(g); */
export function generatorState(g: Generator): string {
  const t = g.getState();
  const bytes = t.toTypedArray() as Uint8Array;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  t.dispose();
  return text;
}

/** Restores a state from `generatorState`. @example setGeneratorState(g, saved); // the same draws again */
export function setGeneratorState(g: Generator, base64: string): void {
  const t = torch.tensor(new Uint8Array(Buffer.from(base64, 'base64')));
  try {
    g.setState(t);
  } finally {
    t.dispose();
  }
}
