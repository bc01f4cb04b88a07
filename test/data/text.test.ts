// The text pipeline: BERT's pre-tokenisation, the WordPiece trainer and
// tokenizer (formats, templates, truncation, padding), corpora (fortunes,
// .txt folders, bad input), NSP/SOP pairs, and the MLM masking's proportions.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import {
  basicTokenize, fortunesCorpus, maskTokens, readTextCorpus, sentencePairs, splitCorpus, splitSentences,
  trainWordPiece, WordPieceTokenizer, SPECIAL_TOKENS,
} from '../../lib/data/text';

const TEXT = [
  'The quick brown fox jumps over the lazy dog.', 'The lazy dog sleeps.', 'Quick thinking wins the day!',
  'Dogs and foxes are not friends.', 'The fox is quicker than the dog.', 'Jumping foxes jump quickly.',
];

describe('data/text: tokenizer', function () {
  this.timeout(60000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pre-tokenises as BERT: lowercase, accents stripped, punctuation split, CJK spaced', () => {
    assert.deepEqual(basicTokenize("Don't PANIC, Café!"), ['don', "'", 't', 'panic', ',', 'cafe', '!']);
    assert.deepEqual(basicTokenize('a\u4e2d\u6587b'), ['a', '\u4e2d', '\u6587', 'b']);
    assert.deepEqual(basicTokenize('Café', { lowercase: false }), ['Café']);
  });

  it('trains a vocabulary: special tokens first, the alphabet, merges up to vocabSize', () => {
    const vocab = trainWordPiece(TEXT, { vocabSize: 60, minFrequency: 1 });
    assert.equal(vocab.length, 60);
    assert.deepEqual(vocab.slice(0, 5), [...SPECIAL_TOKENS]);
    assert.ok(vocab.includes('the') && vocab.includes('##x'), vocab.join(' '));
    assert.equal(new Set(vocab).size, vocab.length);
    assert.throws(() => trainWordPiece(['', '   ']), /at least one word/);
  });

  it('encodes greedily longest-first, unknown words as [UNK], and decodes back', () => {
    const tok = WordPieceTokenizer.train(TEXT, { vocabSize: 80, minFrequency: 1 });
    assert.equal(tok.tokenToId('[MASK]'), 4);
    const ids = tok.encode('the quick fox');
    assert.equal(tok.decode(ids), 'the quick fox');
    assert.deepEqual(tok.encode('the zzz'), [tok.tokenToId('the'), tok.unkId]);
    const pieces = tok.tokenize('foxes');
    assert.ok(pieces.length >= 1 && pieces.slice(1).every((p) => p.startsWith('##')), pieces.join(' '));
  });

  it('batches pairs as [CLS] A [SEP] B [SEP] with segment ids, longest-first truncation and padding', () => {
    const tok = WordPieceTokenizer.train(TEXT, { vocabSize: 80, minFrequency: 1 });
    const enc = tok.encodeIdsBatch([[[10, 11, 12, 13, 14, 15], [20, 21]], [30]], { maxLength: 8 });
    assert.deepEqual(enc.inputIds.toArray(), [[2, 10, 11, 12, 3, 20, 21, 3], [2, 30, 3, 0, 0, 0, 0, 0]]);
    assert.deepEqual(enc.tokenTypeIds.toArray(), [[0, 0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]]);
    assert.deepEqual(enc.attentionMask.toArray(), [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0, 0]]);
    assert.deepEqual(enc.specialTokensMask.toArray(), [[1, 0, 0, 0, 1, 0, 0, 1], [1, 0, 1, 1, 1, 1, 1, 1]]);
    assert.deepEqual(tok.encodeBatch(['the'], { maxLength: 6, padding: 'max_length' }).inputIds.shape, [1, 6]);
    assert.throws(() => tok.encodeIdsBatch([], { maxLength: 8 }), /at least one sequence/);
  });

  it('saves and loads tokenizer.json (Hugging Face format) and vocab.txt', () => {
    const tok = WordPieceTokenizer.train(TEXT, { vocabSize: 70, minFrequency: 1 });
    const json = path.join(dir, 'tokenizer.json');
    tok.save(json);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8')) as { model: { type: string; vocab: Record<string, number> } };
    assert.equal(doc.model.type, 'WordPiece');
    assert.equal(doc.model.vocab['[CLS]'], 2);
    const back = WordPieceTokenizer.load(json);
    assert.deepEqual(back.vocab, tok.vocab);
    tok.saveVocab(path.join(dir, 'vocab.txt'));
    assert.deepEqual(WordPieceTokenizer.load(path.join(dir, 'vocab.txt')).vocab, tok.vocab);
    assert.throws(() => new WordPieceTokenizer(['[UNK]', '[PAD]', '[CLS]', '[SEP]', '[MASK]']), /token 0 of the vocabulary to be \[PAD\]/);
    assert.throws(() => WordPieceTokenizer.load(path.join(dir, 'missing.json')), /Cannot read tokenizer file/);
  });
});

describe('data/text: corpora and sentence pairs', function () {
  this.timeout(60000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-corpus-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('splits sentences after final punctuation', () => {
    assert.deepEqual(splitSentences('It rains.  Does it?\nYes! "Quoted." (Bracketed.)'),
      ['It rains.', 'Does it?', 'Yes!', '"Quoted."', '(Bracketed.)']);
  });

  it('reads .txt folders (blank lines separate documents) and names bad input', () => {
    fs.writeFileSync(path.join(dir, 'a.txt'), 'One. Two.\n\nThree.\n');
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'b.txt'), 'Four. Five. Six.');
    const c = readTextCorpus(dir);
    assert.deepEqual(c.documents.map((d) => d.sentences), [['One.', 'Two.'], ['Three.'], ['Four.', 'Five.', 'Six.']]);
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'e.txt'), '\n\n');
    assert.throws(() => readTextCorpus(empty), /at least one document with text in '.*empty'/);
    const latin1 = path.join(dir, 'latin1.txt');
    fs.writeFileSync(latin1, Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x2e]));
    assert.throws(() => readTextCorpus(latin1), /Expected UTF-8 text in '.*latin1\.txt'/);
    assert.throws(() => readTextCorpus(path.join(dir, 'nope')), /does not exist/);
  });

  it('reads fortunes with category labels and holds out a deterministic split', () => {
    const c = fortunesCorpus({ categories: ['science', 'literature'] });
    assert.deepEqual(c.labels, ['literature', 'science']);
    assert.ok(c.documents.length > 500, `${c.documents.length} fortunes`);
    assert.ok(c.documents.every((d) => d.label === 'science' || d.label === 'literature'));
    const { train, test } = splitCorpus(c, 0.2);
    assert.equal(train.documents.length + test.documents.length, c.documents.length);
    const frac = test.documents.length / c.documents.length;
    assert.ok(frac > 0.12 && frac < 0.28, `held-out fraction ${frac}`);
    assert.deepEqual(splitCorpus(c, 0.2).test.documents.map((d) => d.source), test.documents.map((d) => d.source));
    assert.throws(() => fortunesCorpus({ categories: ['nonsense'] }), /Unknown fortunes category 'nonsense'/);
  });

  // Documents of distinct token ranges, so a pair's origin can be read from its ids.
  const docs = Array.from({ length: 40 }, (_, d) => Array.from({ length: 6 }, (_, s) =>
    Array.from({ length: 3 }, (_, k) => 1000 * d + 10 * s + k)));
  const contiguous = (ids: number[]): boolean => ids.every((v, i) => i === 0 || v > ids[i - 1]);

  it('NSP: label 0 pairs continue the document, label 1 pairs come from another one, about half each', () => {
    const { pairs, labels } = sentencePairs(docs, { task: 'nsp', maxLength: 16, seed: 3 });
    assert.ok(pairs.length > 40);
    const ones = labels.filter((l) => l === 1).length / labels.length;
    assert.ok(ones > 0.3 && ones < 0.7, `random-next fraction ${ones}`);
    pairs.forEach(([a, b], i) => {
      assert.ok(a.length + b.length <= 13);
      const sameDoc = Math.floor(a[0] / 1000) === Math.floor(b[0] / 1000);
      if (labels[i] === 0) assert.ok(sameDoc && contiguous([...a, ...b]), `pair ${i}: ${a} | ${b}`);
      else assert.ok(!sameDoc, `pair ${i}: ${a} | ${b}`);
    });
  });

  it('SOP: label 1 pairs are the same document swapped', () => {
    const { pairs, labels } = sentencePairs(docs, { task: 'sop', maxLength: 16, seed: 4 });
    const ones = labels.filter((l) => l === 1).length / labels.length;
    assert.ok(ones > 0.3 && ones < 0.7, `swapped fraction ${ones}`);
    pairs.forEach(([a, b], i) => {
      assert.equal(Math.floor(a[0] / 1000), Math.floor(b[0] / 1000));
      assert.equal(contiguous(labels[i] === 0 ? [...a, ...b] : [...b, ...a]), true, `pair ${i}: ${a} | ${b}`);
    });
    assert.throws(() => sentencePairs([docs[0]], { task: 'nsp', maxLength: 16 }), /at least two documents/);
  });
});

describe('data/text: MLM masking', () => {
  it('chooses 15% of the non-special tokens: 80% [MASK], 10% random, 10% kept', () => {
    torch.scope(() => {
      const B = 256;
      const T = 128;
      const ids = torch.randint(5, 1000, [B, T]);
      const special = torch.zeros([B, T], { dtype: 'int64' });
      special.narrow(1, 0, 1).fill_(1);
      special.narrow(1, T - 16, 16).fill_(1);
      const g = new torch.Generator().manualSeed(7);
      const { inputIds, labels } = maskTokens(ids, special, { maskId: 4, vocabSize: 1000, generator: g });
      const chosen = labels.ne(-100);
      const n = Number(chosen.sum().item());
      const eligible = B * (T - 17);
      assert.ok(Math.abs(n / eligible - 0.15) < 0.01, `chosen ${n / eligible}`);
      assert.equal(Number(chosen.logicalAnd(special.eq(1)).sum().item()), 0, 'special tokens never chosen');
      assert.ok(torch.where(chosen, labels, 0).equal(torch.where(chosen, ids, 0)), 'labels hold the original ids');
      const masked = Number(inputIds.eq(4).logicalAnd(chosen).sum().item()) / n;
      const kept = Number(inputIds.eq(ids).logicalAnd(chosen).sum().item()) / n;
      assert.ok(Math.abs(masked - 0.8) < 0.02, `[MASK] ${masked}`);
      // Kept = the 10% left alone plus random draws that hit the same id (1/995 of 10%).
      assert.ok(Math.abs(kept - 0.1) < 0.015, `kept ${kept}`);
      assert.ok(Math.abs(1 - masked - kept - 0.1) < 0.015, `random ${1 - masked - kept}`);
      assert.ok(torch.where(chosen, 0, inputIds).equal(torch.where(chosen, 0, ids)), 'others untouched');
      assert.throws(() => maskTokens(ids.float(), special, { maskId: 4, vocabSize: 1000 }), /inputIds int64/);
    });
  });
});
