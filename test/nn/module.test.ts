// The Module base class: naming, state dicts, modes, dtype moves, gradients, memory.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import * as nn from '../../lib/nn';
import { assertClose } from '../helpers/assert-close';

type Tensor = torch.Tensor;

class Block extends nn.Module {
  readonly layers = this.registerModule('layers', new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2)));
  readonly norm = this.registerModule('norm', new nn.BatchNorm1d(2));
  readonly scale = this.registerParameter('scale', torch.ones([2]));
  readonly cache = this.registerBuffer('cache', torch.zeros([2]), { persistent: false });
  readonly absent = this.registerModule('absent', null);

  forward(x: Tensor): Tensor {
    return this.norm.forward(this.layers.forward(x)).mul(this.scale);
  }
}

class Tied extends nn.Module {
  readonly a = this.registerModule('a', new nn.Linear(3, 3));
  readonly b = this.registerModule('b', new nn.Linear(3, 3, { bias: false }));

  constructor() {
    super();
    // Weight tying, as a shared embedding and output layer: the same tensor in two modules.
    this.b.unregisterParameter('weight')?.dispose();
    this.b.registerParameter('weight', this.a.weight);
  }
}

describe('nn/module', () => {
  it('names nested parameters and buffers with dotted PyTorch keys, in registration order', () => {
    const m = new Block();
    assert.deepEqual([...m.namedParameters()].map(([k]) => k),
      ['scale', 'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'norm.weight', 'norm.bias']);
    assert.deepEqual([...m.namedBuffers()].map(([k]) => k),
      ['cache', 'norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked']);
    assert.deepEqual([...m.namedModules()].map(([k]) => k), ['', 'layers', 'layers.0', 'layers.1', 'layers.2', 'norm']);
    assert.deepEqual([...m.namedChildren()].map(([k]) => k), ['layers', 'norm']);
    assert.deepEqual([...m.namedParameters({ recurse: false })].map(([k]) => k), ['scale']);
    assert.deepEqual([...m.layers.namedParameters({ prefix: 'encoder' })].map(([k]) => k).slice(0, 1), ['encoder.0.weight']);
    m.dispose();
  });

  it('lists a shared parameter once', () => {
    const m = new Tied();
    assert.equal(m.a.weight, m.parameters()[0]);
    assert.deepEqual([...m.namedParameters()].map(([k]) => k), ['a.weight', 'a.bias']);
    assert.equal(m.numParameters(), 12);
    m.dispose();
  });

  it('puts parameters and persistent buffers (not the others) in stateDict, the module\'s own tensors', () => {
    const m = new Block();
    const sd = m.stateDict();
    assert.deepEqual([...sd.keys()], ['scale', 'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias',
      'norm.weight', 'norm.bias', 'norm.running_mean', 'norm.running_var', 'norm.num_batches_tracked']);
    assert.ok(!sd.has('cache'));
    assert.equal(sd.get('layers.0.weight'), m.layers.at(0).parameters()[0]);
    m.dispose();
  });

  it('loads a state dict: values copied, identity kept', () => {
    const src = new Block();
    const dst = new Block();
    const before = dst.layers.at(0).parameters()[0];
    torch.noGrad(() => src.scale.fill_(3));
    const result = dst.loadStateDict(src.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.equal(dst.layers.at(0).parameters()[0], before);
    assert.ok(before.equal(src.layers.at(0).parameters()[0]));
    assertClose(dst.scale, [3, 3]);
    src.dispose();
    dst.dispose();
  });

  it('with strict, reports every missing, unexpected and mismatched key', () => {
    const m = new Block();
    const sd = new Map(m.stateDict());
    sd.delete('norm.bias');
    sd.delete('scale');
    const extra = torch.zeros([1]);
    const wrong = torch.zeros([5, 4]);
    sd.set('head.weight', extra);
    sd.set('layers.0.weight', wrong);
    assert.throws(() => m.loadStateDict(sd), (err: Error) => {
      assert.match(err.message, /size mismatch for 1 key\(s\):\s+layers\.0\.weight: checkpoint \[5, 4\], model \[3, 4\]/);
      assert.match(err.message, /missing keys: scale, norm\.bias/);
      assert.match(err.message, /unexpected keys: head\.weight/);
      return true;
    });
    sd.set('layers.0.weight', m.layers.at(0).parameters()[0]);
    const result = m.loadStateDict(sd, { strict: false });
    assert.deepEqual(result, { missingKeys: ['scale', 'norm.bias'], unexpectedKeys: ['head.weight'] });
    // Shape mismatches throw even without strict.
    sd.set('layers.0.weight', wrong);
    assert.throws(() => m.loadStateDict(sd, { strict: false }), /size mismatch/);
    extra.dispose();
    wrong.dispose();
    m.dispose();
  });

  it('accepts a plain object as state dict', () => {
    const m = new nn.Linear(2, 1);
    const w = torch.tensor([[1, 2]]);
    const b = torch.tensor([0.5]);
    m.loadStateDict({ weight: w, bias: b });
    assertClose(m.forward(torch.tensor([[1, 1]])), [[3.5]]);
    m.dispose();
  });

  it('sets train and eval mode recursively', () => {
    const m = new Block();
    assert.ok([...m.modules()].every((x) => x.training));
    assert.equal(m.eval(), m);
    assert.ok([...m.modules()].every((x) => !x.training));
    m.train();
    assert.ok(m.layers.at(1).training && m.norm.training);
    m.train(false);
    assert.equal(m.norm.training, false);
    m.dispose();
  });

  it('to({ dtype }) casts floating tensors in place: identity and requiresGrad kept, int64 buffers untouched', () => {
    const m = new Block();
    const params = m.parameters();
    const runningMean = m.norm.runningMean!;
    torch.scope(() => m.forward(torch.randn([4, 4])).sum().backward());
    assert.ok(params[0].grad);
    m.to({ dtype: 'float64' });
    assert.deepEqual(m.parameters(), params);
    for (const p of params) {
      assert.equal(p.dtype, 'float64');
      assert.equal(p.requiresGrad, true);
      assert.equal(p.grad, undefined);
    }
    assert.equal(m.norm.runningMean, runningMean);
    assert.equal(runningMean.dtype, 'float64');
    assert.equal(m.cache.dtype, 'float64');
    assert.equal(m.norm.numBatchesTracked!.dtype, 'int64');
    assert.equal(Number(m.norm.numBatchesTracked!.item()), 1);
    const y = torch.scope(() => torch.keep(m.forward(torch.randn([3, 4], { dtype: 'float64' }))));
    assert.equal(y.dtype, 'float64');
    y.dispose();
    m.dispose();
  });

  it('zeroGrad drops gradients (or zeroes them in place)', () => {
    const m = new nn.Linear(3, 2);
    const run = (): void => torch.scope(() => m.forward(torch.ones([1, 3])).sum().backward());
    run();
    assertClose(m.bias!.grad!, [1, 1]);
    m.zeroGrad({ setToNone: false });
    assertClose(m.bias!.grad!, [0, 0]);
    run();
    run();
    assertClose(m.bias!.grad!, [2, 2]);
    m.zeroGrad();
    assert.equal(m.weight.grad, undefined);
    assert.equal(m.bias!.grad, undefined);
    m.dispose();
  });

  it('requiresGrad_(false) freezes every parameter; numParameters counts all or trainable only', () => {
    const m = new Block();
    assert.equal(m.numParameters(), 2 + (4 * 3 + 3) + (3 * 2 + 2) + 2 + 2);
    m.layers.requiresGrad_(false);
    assert.ok(m.layers.parameters().every((p) => !p.requiresGrad));
    assert.ok(m.scale.requiresGrad);
    assert.equal(m.numParameters({ trainableOnly: true }), 2 + 2 + 2);
    m.requiresGrad_(false);
    assert.equal(m.numParameters({ trainableOnly: true }), 0);
    m.requiresGrad_();
    assert.equal(m.numParameters({ trainableOnly: true }), m.numParameters());
    m.dispose();
  });

  it('keeps the tensors of a module created inside torch.scope', () => {
    const before = torch.memory().tensors;
    const m = torch.scope(() => {
      const inner = new Block();
      inner.forward(torch.randn([3, 4]));
      return inner;
    });
    for (const t of [...m.parameters(), ...m.buffers()]) assert.equal(t.isDisposed, false);
    const y = torch.scope(() => torch.keep(m.forward(torch.randn([2, 4]))));
    assert.deepEqual(y.shape, [2, 2]);
    y.dispose();
    m.dispose();
    assert.equal(torch.memory().tensors, before);
  });

  it('prints a tree like PyTorch', () => {
    const m = new Block();
    assert.equal(m.toString(), [
      'Block(',
      '  (layers): Sequential(',
      '    (0): Linear(in_features=4, out_features=3, bias=True)',
      '    (1): ReLU()',
      '    (2): Linear(in_features=3, out_features=2, bias=True)',
      '  )',
      '  (norm): BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
      ')',
    ].join('\n'));
    m.dispose();
  });

  it('rejects bad registrations with the name', () => {
    const m = new nn.Module();
    m.registerParameter('w', torch.zeros([1]));
    assert.throws(() => m.registerParameter('w', torch.zeros([1])), /already has a member named 'w'/);
    assert.throws(() => m.registerModule('a.b', new nn.Identity()), /without '\.'/);
    assert.throws(() => m.unregisterParameter('nope'), /has no parameter named 'nope'/);
    assert.throws(() => m.getBuffer('nope'), /has no buffer named 'nope'/);
    m.dispose();
  });

  it('apply visits children first, then the module', () => {
    const m = new Block();
    const seen: string[] = [];
    m.apply((x) => seen.push(x.typeName));
    assert.deepEqual(seen, ['Linear', 'ReLU', 'Linear', 'Sequential', 'BatchNorm1d', 'Block']);
    m.dispose();
  });
});
