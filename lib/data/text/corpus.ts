// Text corpora: documents made of sentences, read from .txt files (a blank
// line separates documents) or from Debian's `fortunes` package (one document
// per fortune, labelled with its category file), with a deterministic
// held-out split.
import * as fs from 'fs';
import * as path from 'path';
import { checkNumber } from '../../torch/arguments';

/** One document: its sentences in order, where it came from, and a label when the corpus has them. */
export interface TextDocument {
  sentences: string[];
  /** The file (and document number) it was read from, for error messages. */
  source: string;
  /** The category (fortunes: the category file's name). */
  label?: string;
}

/** A corpus: documents, and the sorted label names when documents carry labels. */
export interface TextCorpus {
  name: string;
  documents: TextDocument[];
  labels?: string[];
}

/** Where Debian's `fortunes` package puts its files (`apt-get install fortunes`). */
export const FORTUNES_DIR = '/usr/share/games/fortunes';

// A sentence ends at . ! or ? (closing quotes/brackets allowed) followed by
// space and a capital, digit or opening quote. Abbreviations ("Dr. Who") split
// wrongly: an accepted cost of a dependency-free splitter.
const BOUNDARY = /(?<=[.!?]["'\u201d)\]]*)\s+(?=["'\u201c(\[]?[\p{Lu}\p{N}])/u;

/**
 * Sentences of a paragraph: whitespace (newlines included) collapsed, then
 * split after sentence-final punctuation.
 * @example splitSentences('It rains. Does it?  Yes!'); // ['It rains.', 'Does it?', 'Yes!']
 */
export function splitSentences(text: string): string[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return [];
  return flat.split(BOUNDARY).map((s) => s.trim()).filter((s) => s !== '');
}

/** The UTF-8 text of `file`; a clear error names a file that is not UTF-8. */
export function readUtf8(file: string): string {
  const bytes = fs.readFileSync(file);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`Expected UTF-8 text in '${file}' but it holds other bytes; convert it (iconv -t UTF-8) or remove it`);
  }
}

function checkNotEmpty(corpus: TextCorpus, where: string): TextCorpus {
  if (corpus.documents.length === 0) {
    throw new RangeError(`Expected at least one document with text in ${where} but found none`);
  }
  return corpus;
}

/**
 * A corpus from a .txt file or a folder of them (recursively, sorted): each
 * run of non-blank lines is one document, split into sentences.
 * @example const corpus = readTextCorpus('texts/'); corpus.documents[0].sentences;
 */
export function readTextCorpus(location: string): TextCorpus {
  if (!fs.existsSync(location)) throw new Error(`Text corpus '${location}' does not exist`);
  const files = fs.statSync(location).isDirectory()
    ? (fs.readdirSync(location, { recursive: true }) as string[]).filter((f) => f.endsWith('.txt')).sort()
      .map((f) => path.join(location, f))
    : [location];
  const documents: TextDocument[] = [];
  for (const file of files) {
    readUtf8(file).split(/\r?\n[ \t]*\r?\n/).forEach((para, i) => {
      const sentences = splitSentences(para);
      if (sentences.length > 0) documents.push({ sentences, source: `${file}#${i}` });
    });
  }
  return checkNotEmpty({ name: path.basename(location), documents }, `'${location}' (${files.length} .txt files)`);
}

/**
 * Debian's fortunes (`apt-get install fortunes`): one document per fortune,
 * labelled with its category; `categories` picks some files (default: all).
 * @example const corpus = fortunesCorpus({ categories: ['science', 'literature'] });
 */
export function fortunesCorpus(options: { dir?: string; categories?: readonly string[] } = {}): TextCorpus {
  const dir = options.dir ?? FORTUNES_DIR;
  if (!fs.existsSync(dir)) {
    throw new Error(`The fortunes corpus is not installed (no ${dir}): sudo apt-get install fortunes`);
  }
  const all = fs.readdirSync(dir).filter((f) => !f.includes('.') && fs.statSync(path.join(dir, f)).isFile()).sort();
  const categories = options.categories ?? all;
  const documents: TextDocument[] = [];
  for (const cat of categories) {
    if (!all.includes(cat)) throw new RangeError(`Unknown fortunes category '${cat}'; expected some of ${all.join(', ')}`);
    const file = path.join(dir, cat);
    readUtf8(file).split(/\r?\n%\r?\n/).forEach((text, i) => {
      const sentences = splitSentences(text.replace(/^%$/m, ''));
      if (sentences.length > 0) documents.push({ sentences, source: `${file}#${i}`, label: cat });
    });
  }
  return checkNotEmpty({ name: 'fortunes', documents, labels: [...categories].sort() }, dir);
}

// FNV-1a over the source, finalised: which split a document falls in does not depend on the others.
function hashUnit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  // MurmurHash3's finaliser: FNV's high bits barely change between "file#1" and "file#2".
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * A deterministic held-out split: a document goes to `test` when the hash of
 * its source falls below `testFraction`.
 * @example const { train, test } = splitCorpus(fortunesCorpus(), 0.1);
 */
export function splitCorpus(corpus: TextCorpus, testFraction: number): { train: TextCorpus; test: TextCorpus } {
  const f = checkNumber(testFraction, 'testFraction', 0, 1);
  const pick = (test: boolean): TextCorpus => ({
    ...corpus, name: `${corpus.name}-${test ? 'test' : 'train'}`,
    documents: corpus.documents.filter((d) => (hashUnit(d.source) < f) === test),
  });
  return { train: pick(false), test: pick(true) };
}
