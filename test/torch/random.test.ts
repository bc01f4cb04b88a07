import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

describe('random', () => {
  it('manualSeed makes results repeat and matches PyTorch for torch.rand', () => {
    torch.manualSeed(0);
    const a = torch.rand([3]).toArray() as number[];
    torch.manualSeed(0);
    assert.deepEqual(torch.rand([3]).toArray(), a);
    // torch.manual_seed(0); torch.rand(3) in PyTorch (CPU, mt19937)
    assert.deepEqual(a.map((v) => v.toFixed(4)), ['0.4963', '0.7682', '0.0885']);
  });

  it('a Generator has its own stream', () => {
    const g1 = new torch.Generator().manualSeed(7);
    const g2 = new torch.Generator().manualSeed(7);
    const a = torch.randn([4], { generator: g1 }).toArray();
    torch.randn([4]); // the global stream does not disturb g2
    assert.deepEqual(torch.randn([4], { generator: g2 }).toArray(), a);
    assert.equal(g1.initialSeed(), 7n);
    assert.deepEqual(torch.randperm(5, { generator: new torch.Generator().manualSeed(1) }).toArray(),
      torch.randperm(5, { generator: new torch.Generator().manualSeed(1) }).toArray());
  });

  it('rejects bad seeds', () => {
    assert.throws(() => torch.manualSeed(-1), /Expected a non-negative integer seed but received -1/);
    assert.throws(() => torch.manualSeed(1.5), /Expected a non-negative integer seed but received 1.5/);
  });
  it('getState / setState replay the same draws, for a Generator and for the global generator', () => {
    const g = new torch.Generator().manualSeed(3);
    torch.rand([4], { generator: g });
    const state = g.getState();
    assert.equal(state.dtype, 'uint8');
    const first = torch.randn([6], { generator: g }).toArray();
    torch.rand([10], { generator: g });
    assert.deepEqual(g.setState(state).initialSeed(), 3n);
    assert.deepEqual(torch.randn([6], { generator: g }).toArray(), first);

    torch.manualSeed(1);
    const global = torch.getRngState();
    const a = torch.rand([5]).toArray();
    torch.rand([3]);
    torch.setRngState(global);
    assert.deepEqual(torch.rand([5]).toArray(), a);
  });

  it('setState rejects a tensor that is not a generator state', () => {
    const g = new torch.Generator();
    assert.throws(() => g.setState(torch.zeros([3])), /Generator.setState: .*/);
    assert.throws(() => torch.setRngState(torch.zeros([2], { dtype: 'uint8' })), /Generator.setState: .*/);
  });
});
