// A training loop must keep the live-tensor count and RSS flat.
import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

describe('memory over a training loop', function () {
  this.timeout(120000);

  it('1,000 steps of a small MLP leave live tensors and RSS flat', () => {
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    torch.manualSeed(0);
    const x = torch.randn([64, 16]);
    const target = x.sum(1, true).sin();
    const w1 = torch.randn([16, 32]).mul_(0.25).requiresGrad_();
    const b1 = torch.zeros([32]).requiresGrad_();
    const w2 = torch.randn([32, 1]).mul_(0.25).requiresGrad_();
    const params = [w1, b1, w2];
    const step = (): number => torch.scope(() => {
      const h = x.matmul(w1).add(b1).relu();
      const loss = h.matmul(w2).sub(target).pow(2).mean();
      loss.backward();
      torch.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!.mul(0.05));
          p.grad = undefined;
        }
      });
      return loss.item() as number;
    });

    const first = step();
    for (let i = 0; i < 99; i++) step();
    gc();
    const tensorsAt100 = torch.memory().tensors;
    const bytesAt100 = torch.memory().cpuBytes;
    const rssAt100 = process.memoryUsage().rss;
    let last = first;
    for (let i = 0; i < 900; i++) last = step();
    gc();
    const tensorsAt1000 = torch.memory().tensors;
    const rssGrowth = process.memoryUsage().rss - rssAt100;

    assert.equal(tensorsAt1000, tensorsAt100, 'live tensors after 100 and 1,000 steps');
    assert.equal(torch.memory().cpuBytes, bytesAt100, 'CPU bytes of live tensors');
    assert.ok(rssGrowth < 16 * 1024 * 1024, `RSS grew by ${(rssGrowth / 1048576).toFixed(1)} MiB over 900 steps`);
    assert.ok(last < first * 0.5, `the loop trains: loss ${first} -> ${last}`);
  });
});
