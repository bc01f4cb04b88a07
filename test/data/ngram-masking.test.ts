// ALBERT's n-gram masking, checked statistically with a seeded generator:
// the drawn n-gram lengths follow p(n) = (1/n) / sum(1/k); spans are
// contiguous whole words that never cover special tokens or overlap; each
// sequence gets at most round(0.15 x tokens) (exactly, unless the words left are too long); 80/10/10 over the chosen
// tokens; the option reaches PretrainingBatches.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fortunesCorpus, PretrainingBatches, WordPieceTokenizer } from '../../lib/data/text';
import { ngramMaskTokens, ngramProbabilities, wordStartMask } from '../../lib/data/text/ngram-masking';

const MASK = 4;
const VOCAB = 1000;

/** (B, T) ids in [100, VOCAB) with [CLS] at 0, a [SEP] in the middle and at the end; the mask of those specials. */
function batch(B: number, T: number): { ids: torch.Tensor; special: torch.Tensor } {
  const ids = torch.randint(100, VOCAB, [B, T], { generator: new torch.Generator().manualSeed(5) });
  const special = torch.zeros([B, T], { dtype: 'int64' });
  for (const t of [0, Math.floor(T / 2), T - 1]) special.select(1, t).fill_(1);
  return { ids, special };
}

describe('data: ALBERT n-gram masking', function () {
  this.timeout(60000);

  it('p(n) = (1/n) / sum(1/k): 6/11, 3/11, 2/11 for n up to 3', () => {
    const p = ngramProbabilities(3);
    [6 / 11, 3 / 11, 2 / 11].forEach((x, i) => assert.ok(Math.abs(p[i] - x) < 1e-12));
  });

  it('drawn n-gram lengths follow p(n) over many spans (seeded)', () => torch.scope(() => {
    // A low masking rate on long rows: few chosen positions, so the rejection
    // of spans that touch chosen ones barely biases the drawn lengths.
    const { ids, special } = batch(64, 512);
    const g = new torch.Generator().manualSeed(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 16; i++) {
      const { spans } = ngramMaskTokens(ids, special, { maskId: MASK, vocabSize: VOCAB, probability: 0.02, generator: g });
      for (const s of spans) counts[s.drawn - 1]++;
    }
    const total = counts.reduce((a, b) => a + b, 0);
    assert.ok(total > 4000, `${total} spans`);
    ngramProbabilities(3).forEach((p, i) => {
      const f = counts[i] / total;
      assert.ok(Math.abs(f - p) < 4 * Math.sqrt(p * (1 - p) / total) + 0.01, `n = ${i + 1}: ${f.toFixed(4)} vs ${p.toFixed(4)}`);
    });
  }));

  it('spans are contiguous whole words, never on special tokens, never overlapping; round(0.15 x tokens) per row at most', () => torch.scope(() => {
    const { ids, special } = batch(32, 64);
    // Words of 1-3 pieces: a position starts a word unless the hash says otherwise (always after [CLS] and [SEP]).
    const starts = torch.tensor(BigInt64Array.from({ length: 32 * 64 }, (_, k) => ((k * 7919) % 5 < 2 && k % 64 !== 1 && k % 64 !== 33 ? 0n : 1n)), { shape: [32, 64] });
    const { labels, inputIds, spans } = ngramMaskTokens(ids, special, { maskId: MASK, vocabSize: VOCAB, wordStarts: starts,
      generator: new torch.Generator().manualSeed(2) });
    const L = labels.toArray() as number[][];
    const S = special.toArray() as number[][];
    const W = starts.toArray() as number[][];
    const I = ids.toArray() as number[][];
    const covered = L.map((row) => row.map(() => 0));
    for (const s of spans) {
      assert.ok(s.words >= 1 && s.words <= s.drawn && s.drawn <= 3);
      assert.equal(W[s.row][s.start], 1, 'a span starts at a word start');
      assert.ok(s.end === 64 || W[s.row][s.end] === 1 || S[s.row][s.end] === 1, 'a span ends at a word end');
      let words = 0;
      for (let t = s.start; t < s.end; t++) {
        assert.equal(S[s.row][t], 0, 'no special token inside a span');
        assert.equal(covered[s.row][t], 0, 'spans do not overlap');
        assert.equal(L[s.row][t], I[s.row][t], 'the label is the original id');
        covered[s.row][t] = 1;
        if (W[s.row][t] === 1) words++;
      }
      assert.equal(words, s.words);
    }
    L.forEach((row, b) => {
      row.forEach((l, t) => assert.equal(l !== -100, covered[b][t] === 1, `row ${b} position ${t}: label outside a span`));
      // The budget is round(0.15 x tokens); a word longer than what is left of it is passed over, so a row can
      // end up to (longest word - 1) = 2 short of it, as in ALBERT's script.
      const budget = Math.max(1, Math.round(S[b].filter((x) => x === 0).length * 0.15));
      const n = covered[b].reduce((a, c) => a + c, 0);
      assert.ok(n <= budget && n >= budget - 2, `row ${b}: ${n} masked, budget ${budget}`);
    });
    assert.ok(spans.some((s) => s.end - s.start >= 3), 'multi-word spans occur');
    assert.ok(torch.equal(torch.where(labels.eq(-100), inputIds, 0), torch.where(labels.eq(-100), ids, 0)), 'unchosen tokens unchanged');
  }));

  it('80% [MASK], 10% random, 10% kept among the chosen tokens', () => torch.scope(() => {
    const { ids, special } = batch(64, 256);
    const g = new torch.Generator().manualSeed(3);
    let chosen = 0;
    let masked = 0;
    let kept = 0;
    for (let i = 0; i < 4; i++) {
      const r = ngramMaskTokens(ids, special, { maskId: MASK, vocabSize: VOCAB, generator: g });
      const c = r.labels.ne(-100);
      chosen += Number(c.sum().item());
      masked += Number(r.inputIds.eq(MASK).logicalAnd(c).sum().item());
      kept += Number(r.inputIds.eq(ids).logicalAnd(c).sum().item());
    }
    assert.ok(chosen > 9000, `${chosen}`);
    const random = chosen - masked - kept;
    // A random replacement equals the original 1 time in 995: counted as kept.
    for (const [what, n, p] of [['[MASK]', masked, 0.8], ['kept', kept, 0.1], ['random', random, 0.1]] as const) {
      assert.ok(Math.abs(n / chosen - p) < 0.015, `${what}: ${(n / chosen).toFixed(4)}`);
    }
  }));

  it('the same generator seed gives the same masking; bad options are refused by name', () => torch.scope(() => {
    const { ids, special } = batch(4, 32);
    const run = () => ngramMaskTokens(ids, special, { maskId: MASK, vocabSize: VOCAB, generator: new torch.Generator().manualSeed(9) });
    assert.ok(torch.equal(run().inputIds, run().inputIds));
    assert.throws(() => ngramMaskTokens(ids, special, { maskId: MASK, vocabSize: VOCAB, maxNgram: 0 }), /options.maxNgram/);
    assert.throws(() => ngramMaskTokens(ids, special.narrow(1, 0, 4), { maskId: MASK, vocabSize: VOCAB }), /specialTokensMask of shape/);
  }));

  it('masking: \'ngram\' reaches PretrainingBatches: whole-word spans, the count bounded by the budget', () => torch.scope(() => {
    const corpus = fortunesCorpus({ categories: ['science'] });
    const tok = WordPieceTokenizer.train(corpus.documents.flatMap((d) => d.sentences), { vocabSize: 300 });
    const stats = (masking: 'token' | 'ngram') => {
      const data = new PretrainingBatches(tok, corpus, { task: 'sop', maxLength: 48, batchSize: 16, seed: 4, masking });
      const diffs: number[] = [];
      let midWord = 0;
      let runs = 0;
      for (let i = 0; i < 4; i++) {
        const b = data.next();
        const chosen = b.labels.ne(-100);
        const starts = wordStartMask(tok.vocab, torch.where(chosen, b.labels, 0));
        // A chosen continuation piece whose word start is not chosen: a split word. (A segment cut at its
        // front by truncation can begin with a continuation piece: after [CLS] or [SEP] it starts a word.)
        const prevChosen = torch.cat([torch.zeros([16, 1], { dtype: 'bool' }), chosen.narrow(1, 0, 47)], 1);
        const prevIds = torch.cat([torch.full([16, 1], tok.clsId, { dtype: 'int64' }), b.inputIds.narrow(1, 0, 47)], 1);
        const afterSpecial = prevIds.eq(tok.clsId).logicalOr(prevIds.eq(tok.sepId)).logicalAnd(prevChosen.logicalNot());
        midWord += Number(chosen.logicalAnd(starts.eq(0)).logicalAnd(prevChosen.logicalNot()).logicalAnd(afterSpecial.logicalNot()).sum().item());
        runs += Number(chosen.logicalAnd(prevChosen).sum().item());
        const tokens = b.attentionMask.sum(1).sub(3).toArray() as number[];
        const n = chosen.sum(1).toArray() as number[];
        tokens.forEach((t, r) => diffs.push(n[r] - Math.max(1, Math.round(t * 0.15))));
      }
      return { midWord, runs, diffs };
    };
    const ngram = stats('ngram');
    assert.equal(ngram.midWord, 0, 'n-gram masking never splits a word');
    assert.ok(ngram.diffs.every((d) => d <= 0), 'never more than round(0.15 x tokens)');
    assert.ok(ngram.diffs.filter((d) => d === 0).length >= 0.8 * ngram.diffs.length, `mostly exactly the budget: ${ngram.diffs.join(' ')}`);
    const token = stats('token');
    assert.ok(token.diffs.some((d) => d > 0), 'token masking: independent draws, sometimes above the budget');
    assert.ok(ngram.runs > 2 * token.runs, `adjacent chosen pairs: ngram ${ngram.runs}, token ${token.runs}`);
    assert.throws(() => new PretrainingBatches(tok, corpus, { task: 'sop', maxLength: 48, batchSize: 16, masking: 'span' as 'ngram' }),
      /options.masking/);
  }));
});
