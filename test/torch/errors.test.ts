// Every bad input from JS is a JS Error naming what was wrong; none may
// crash the process.
import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

// Deliberately untyped: these calls pass what the typed wrappers would reject.
const aten = (torch.ops as unknown as { aten: Record<string, torch.OpPacket> }).aten;
// The loaded libtorch's version as the addon's messages name it (1.13.0 on Debian 12, 2.6.0 on 13).
const LIBTORCH = torch.config().torchVersion.replace(/\./g, '\\.');

describe('errors', () => {
  it('wrong shapes: libtorch message with the operator name, no C++ backtrace', () => {
    const err = (() => {
      try {
        aten.mm(torch.zeros([2, 3]), torch.zeros([2, 3]));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    assert.ok(err instanceof Error);
    assert.match(err.message, /^aten::mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
    assert.doesNotMatch(err.message, /Exception raised from|frame #/);
    assert.throws(() => aten.add(torch.zeros([2]), torch.zeros([3])),
      /aten::add.Tensor: The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0/);
  });

  it('mismatched dtypes', () => {
    assert.throws(() => aten.mm(torch.zeros([2, 2]), torch.zeros([2, 2], { dtype: 'float64' })),
      /aten::mm: expected (scalar type Float but found Double|.*same dtype)/i);
    assert.throws(() => aten.index_select(torch.zeros([3]), 0, torch.zeros([1])),
      /aten::index_select: index_select\(\): Expected dtype int32 or int64 for index/);
  });

  it('unknown operator and unknown overload', () => {
    assert.throws(() => aten.no_such_op(torch.zeros([1])),
      new RegExp(`Unknown operator 'aten::no_such_op': no such operator in libtorch ${LIBTORCH}$`));
    assert.throws(() => aten.add.NoSuch(torch.zeros([1])),
      /Operator 'aten::add' has no overload 'NoSuch'; available overloads: .*Tensor/);
  });

  it('wrong argument count', () => {
    const x = torch.zeros([1]);
    assert.throws(() => aten.neg.default(x, x, x),
      /aten::neg: takes at most 1 arguments \(self\) but received 3/);
    assert.throws(() => aten.add.Tensor(x), /aten::add.Tensor: missing required argument 'other' \(Tensor\)/);
  });

  it('wrong argument type names the argument and what was received', () => {
    const x = torch.zeros([2, 2]);
    assert.throws(() => aten.add.Tensor(x, 'two'),
      /aten::add.Tensor: expected Tensor for argument 'other' \(Tensor\) but received string 'two'/);
    assert.throws(() => aten.sum.dim_IntList(x, [0.5]),
      /aten::sum.dim_IntList: expected an integer for argument 'dim' \(int\[1\]\?\) but received number 0.5 \(at index 0\)/);
    assert.throws(() => aten.sum.default(x, { dtype: 'float99' }),
      /aten::sum: expected a dtype name such as 'float32' for argument 'dtype' \(ScalarType\?\) but received string 'float99'/);
    assert.throws(() => aten.sum.default(x, { nope: 1 }), /unknown keyword argument, or one also given by position, among \{nope\}; arguments are \(self, dtype\)/);
    assert.throws(() => aten.add(x, {}), /aten::add: no overload matches the arguments/);
    assert.throws(() => aten.cat([x, 3]), /expected Tensor for argument 'tensors' \(Tensor\[\]\) but received number 3 \(at index 1\)/);
  });

  it('a disposed tensor', () => {
    const x = torch.ones([2]);
    x.dispose();
    assert.throws(() => aten.neg(x), /argument 'self' is a disposed Tensor/);
  });

  it('CUDA asked for in a CPU build', function () {
    if (torch.cuda.isAvailable()) this.skip();
    assert.throws(() => torch.ones([1]).to('cuda'), /aten::to.dtype_layout: .*(CUDA|cuda)/);
    assert.throws(() => torch.cuda.synchronize(),
      new RegExp(`CUDA is not available: this libtorch ${LIBTORCH} build has no CUDA support or no GPU is visible$`));
    assert.throws(() => torch.zeros([1], { device: 'cuda:0' }), /aten::zeros: .*CUDA/);
  });

  it('mismatched devices name both (checked on CPU with the meta device)', () => {
    const meta = aten.zeros([1], { device: 'meta' }) as torch.Tensor;
    assert.throws(() => aten.add(torch.zeros([1]), meta), /aten::add.Tensor: .*(meta|Meta)/);
  });

  it('bad devices, dtypes and handles in hand-written entry points', () => {
    assert.throws(() => torch.zeros([1], { device: 'gpu' as torch.Device }),
      /Expected 'cpu', 'cuda' or 'cuda:N' for options.device but received gpu/);
    assert.throws(() => torch.autocast('tpu' as 'cpu', 'bfloat16', () => 0),
      /Expected 'cpu' or 'cuda' for the autocast device type but received 'tpu'/);
    assert.throws(() => torch.setNumThreads(0), /Expected a positive integer for the number of threads but received 0/);
  });

  it('the process survives a storm of bad calls', () => {
    const x = torch.ones([2, 2]);
    const bad: (() => unknown)[] = [
      () => aten.view(x, [5]), () => aten.reshape(x, [-1, -1]), () => aten.select(x, 5, 0),
      () => aten.index_select(x, 0, torch.tensor([9], { dtype: 'int64' })), () => aten.conv2d(x, x),
      () => aten.gather(x, 0, torch.tensor([[5]], { dtype: 'int64' })), () => aten.narrow(x, 0, 1, 5),
      () => aten.expand(x, [3, 3]), () => aten.permute(x, [0, 0]), () => aten.cat([]),
      () => aten.softmax(x, 3), () => aten.matmul(x, torch.ones([3])), () => aten.to(x, 'float99'),
      () => aten.empty([-1]), () => aten.randint(5, 1, [2]),
    ];
    for (const f of bad) assert.throws(f, (e: unknown) => e instanceof Error && e.message.length > 0);
    assert.deepEqual((aten.add(x, 1) as torch.Tensor).toArray(), [[2, 2], [2, 2]]);
  });
});
