import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose } from '../../helpers/assert-close';

describe('nn/layers/container', () => {
  it('Sequential chains forward and keys its members 0, 1, ...', () => {
    const seq = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    seq.append(new nn.Linear(2, 1, { bias: false }));
    assert.deepEqual([...seq.stateDict().keys()], ['0.weight', '0.bias', '2.weight']);
    seq.loadStateDict({ '0.weight': torch.tensor([[1, 0], [0, -1]]), '0.bias': torch.tensor([0, 0]), '2.weight': torch.tensor([[1, 1]]) });
    assertClose(seq.forward(torch.tensor([[3, 4]])), [[3]]); // relu([3, -4]) = [3, 0]
    assert.equal(seq.length, 3);
    assert.ok(seq.at(-1) instanceof nn.Linear);
    assert.ok(seq.at(1) instanceof nn.ReLU);
    assert.deepEqual([...seq].map((m) => m.typeName), ['Linear', 'ReLU', 'Linear']);
    assert.throws(() => seq.at(3), /Expected an index in \[-3, 2\] for index but received 3/);
    assert.throws(() => new nn.Sequential({} as nn.Linear), /Expected a Module for Sequential item 0/);
    assert.equal(new nn.Sequential().forward(torch.ones([1])).item(), 1);
    seq.dispose();
  });

  it('ModuleList holds indexed modules without a forward', () => {
    const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
    list.extend([new nn.Linear(2, 3)]);
    assert.equal(list.length, 3);
    assert.deepEqual([...list.stateDict().keys()], ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
    assert.equal(list.at(-1).outFeatures, 3);
    let x = torch.ones([1, 2]);
    for (const layer of [...list].slice(0, 2)) x = layer.forward(x);
    assert.deepEqual(x.shape, [1, 2]);
    assert.equal((list as unknown as { forward?: unknown }).forward, undefined);
    assert.equal(list.toString().split('\n')[0], 'ModuleList(');
    list.dispose();
  });

  it('Identity returns its input and has no state', () => {
    const x = torch.ones([2]);
    const id = new nn.Identity();
    assert.equal(id.forward(x), x);
    assert.equal(id.stateDict().size, 0);
    assert.equal(id.toString(), 'Identity()');
  });
});
