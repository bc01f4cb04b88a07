// The bag-of-words floor of the text probe: its features are the token counts
// written out by hand for a tiny corpus (truncation and [UNK] included), the
// probe separates categories that differ in their words, and it cannot
// separate categories that differ only in word order (the same bag).
import * as assert from 'node:assert/strict';
import { TextCorpus, WordPieceTokenizer } from '../../lib/data/text';
import { bagOfWordsFeatures, bagOfWordsProbe } from '../../lib/eval/bag-of-words';

function corpus(docs: [string, string][]): TextCorpus {
  return { name: 'toy', documents: docs.map(([text, label], i) => ({ sentences: [text], source: `doc${i}`, label })), labels: ['a', 'b'] };
}

describe('eval: bag-of-words floor of the text probe', function () {
  this.timeout(60000);
  const words = ['the cat saw the dog.', 'a dog saw a cat.', 'the bird sang.', 'a cat sang to the bird.'];
  const tok = WordPieceTokenizer.train(words, { vocabSize: 200, minFrequency: 1 });

  it('counts each token of each labelled document, as counted by hand; truncation keeps the encoder\'s tokens', () => {
    const toy = corpus([['the cat saw the dog.', 'a'], ['A bird sang, a bird.', 'b'], ['the quiz', 'a']]);
    toy.documents.push({ sentences: ['no label'], source: 'x' }); // unlabelled: left out, as by the encoder probe
    const { features, labels } = bagOfWordsFeatures(tok, toy);
    assert.deepEqual(features.shape, [3, tok.vocabSize]);
    assert.deepEqual(labels.toArray(), [0, 1, 0]);
    const rows = features.toArray() as number[][];
    const id = (t: string): number => {
      const i = tok.tokenToId(t);
      assert.ok(i !== undefined, `the hand count assumes '${t}' is one token`);
      return i;
    };
    // By hand: "the cat saw the dog." = the x2, cat, saw, dog, "."; "A bird sang, a bird." = a x2, bird x2, sang, ",", ".";
    // "," and the "q" of "quiz" never occur in the training words, so each is one [UNK].
    assert.equal(tok.tokenToId(','), undefined);
    const want: Record<string, number>[] = [
      { the: 2, cat: 1, saw: 1, dog: 1, '.': 1 },
      { a: 2, bird: 2, sang: 1, '[UNK]': 1, '.': 1 },
      { the: 1, '[UNK]': 1 },
    ];
    want.forEach((counts, i) => {
      const expected = new Array<number>(tok.vocabSize).fill(0);
      for (const [t, n] of Object.entries(counts)) expected[id(t)] = n;
      assert.deepEqual(rows[i], expected, `document ${i}`);
    });
    // maxLength 5 = [CLS] + 3 tokens + [SEP]: "the cat saw" only.
    const cut = bagOfWordsFeatures(tok, toy, { maxLength: 5 }).features.toArray() as number[][];
    const expected = new Array<number>(tok.vocabSize).fill(0);
    for (const t of ['the', 'cat', 'saw']) expected[id(t)] = 1;
    assert.deepEqual(cut[0], expected);
  });

  it('separates categories that differ in their words, not categories that differ only in word order', () => {
    const byWords = (n: number) => corpus(Array.from({ length: n }, (_, i) =>
      (i % 2 === 0 ? [['the cat saw the dog.', 'a dog saw a cat.'][i % 4 === 0 ? 0 : 1], 'a'] : [i % 4 === 1 ? 'the bird sang.' : 'a bird sang to the bird.', 'b']) as [string, string]));
    assert.equal(bagOfWordsProbe(tok, byWords(40), byWords(20)), 1);
    // "the dog saw the cat." and "the cat saw the dog." have the same bag: every document looks alike, so the probe
    // answers one class for all of them and scores exactly that class's share of the test set (1/2).
    const byOrder = (n: number) => corpus(Array.from({ length: n }, (_, i) =>
      (i % 2 === 0 ? ['the dog saw the cat.', 'a'] : ['the cat saw the dog.', 'b']) as [string, string]));
    assert.equal(bagOfWordsProbe(tok, byOrder(40), byOrder(20)), 0.5);
  });

  it('refuses a corpus without labels, by name', () => {
    assert.throws(() => bagOfWordsFeatures(tok, { name: 'plain', documents: [{ sentences: ['x'], source: 's' }] }), /document labels .* 'plain'/);
  });
});
