// torch.backends (TF32, cuDNN benchmark/deterministic) and the float32 matmul
// precision: PyTorch's defaults and transitions (checked against real
// PyTorch), the values reaching libtorch's global context, and on a GPU the
// kernels they change.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as torch from '../../lib/torch';
import { conv2d } from '../../lib/nn/functional';
import { PYTHON } from '../helpers/python-reference';

/**
 * A state, or the refusal to report one: from 2.9 (seen in 2.14) libtorch refuses to read the float32 matmul
 * precision after the legacy allow_tf32 setters mixed with the new API, in Python and in selfsup alike. The
 * refusal is compared by its first sentence (the text before the first comma).
 */
type Reported = torch.BackendState | { error: string };

/** What PyTorch reports for its switches after each step of `steps` (Python statements). */
function pythonStates(steps: string[]): Reported[] {
  const script = `
import json, sys, torch
def state():
    try:
        precision = torch.get_float32_matmul_precision()
    except RuntimeError as e:
        return dict(error=str(e).split(',')[0])
    return dict(matmulAllowTF32=torch.backends.cuda.matmul.allow_tf32, cudnnAllowTF32=torch.backends.cudnn.allow_tf32,
                cudnnBenchmark=torch.backends.cudnn.benchmark, cudnnDeterministic=torch.backends.cudnn.deterministic,
                float32MatmulPrecision=precision)
out = [state()]
for s in json.loads(sys.argv[1]):
    exec(s)
    out.append(state())
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(steps)], { encoding: 'utf8' })) as Reported[];
}

/** nodeState(), or the refusal to report one (see Reported). */
function nodeReported(): Reported {
  try {
    return nodeState();
  } catch (e) {
    return { error: (e as Error).message.split(',')[0] };
  }
}

function nodeState(): torch.BackendState {
  // Through the public attributes (backendState() reads the same context in one call).
  return {
    matmulAllowTF32: torch.backends.cuda.matmul.allowTF32, cudnnAllowTF32: torch.backends.cudnn.allowTF32,
    cudnnBenchmark: torch.backends.cudnn.benchmark, cudnnDeterministic: torch.backends.cudnn.deterministic,
    float32MatmulPrecision: torch.getFloat32MatmulPrecision(),
  };
}

describe('torch.backends and the float32 matmul precision', () => {
  let saved: torch.BackendState;
  before(() => { saved = nodeState(); });
  afterEach(() => torch.setBackends(saved));

  it('start at PyTorch\'s defaults and follow the same transitions as PyTorch', () => {
    // The same statements in both languages, one per step.
    const steps: [string, () => void][] = [
      ['torch.backends.cudnn.allow_tf32 = False', () => { torch.backends.cudnn.allowTF32 = false; }],
      ['torch.backends.cudnn.benchmark = True', () => { torch.backends.cudnn.benchmark = true; }],
      ['torch.backends.cudnn.deterministic = True', () => { torch.backends.cudnn.deterministic = true; }],
      ['torch.set_float32_matmul_precision("medium")', () => torch.setFloat32MatmulPrecision('medium')],
      ['torch.backends.cuda.matmul.allow_tf32 = False', () => { torch.backends.cuda.matmul.allowTF32 = false; }],
      ['torch.backends.cuda.matmul.allow_tf32 = True', () => { torch.backends.cuda.matmul.allowTF32 = true; }],
      ['torch.set_float32_matmul_precision("highest")', () => torch.setFloat32MatmulPrecision('highest')],
      ['torch.set_float32_matmul_precision("high")', () => torch.setFloat32MatmulPrecision('high')],
    ];
    const expected = pythonStates(steps.map(([py]) => py));
    const got = [nodeReported()];
    for (const [, js] of steps) {
      js();
      got.push(nodeReported());
    }
    assert.deepEqual(got, expected);
    assert.deepEqual(expected[0], { matmulAllowTF32: false, cudnnAllowTF32: true, cudnnBenchmark: false,
      cudnnDeterministic: false, float32MatmulPrecision: 'highest' });
  });

  it('withBackends sets and restores every switch, also when the function throws', () => {
    const inside = torch.withBackends({ cudnnAllowTF32: false, float32MatmulPrecision: 'medium', cudnnBenchmark: true },
      () => nodeState());
    assert.deepEqual(inside, { ...saved, cudnnAllowTF32: false, cudnnBenchmark: true, matmulAllowTF32: true,
      float32MatmulPrecision: 'medium' });
    assert.deepEqual(nodeState(), saved);
    assert.deepEqual(torch.backendState(), saved);
    assert.throws(() => torch.withBackends({ cudnnDeterministic: true }, () => { throw new Error('boom'); }), /boom/);
    assert.deepEqual(nodeState(), saved);
  });

  it('refuses bad values with a message naming the switch', () => {
    assert.throws(() => { (torch.backends.cudnn as { allowTF32: unknown }).allowTF32 = 1; },
      /Expected a boolean for torch.backends.cudnn.allowTF32 but received 1/);
    assert.throws(() => torch.setFloat32MatmulPrecision('low' as torch.Float32MatmulPrecision),
      /Expected 'highest', 'high' or 'medium' for the float32 matmul precision but received 'low'/);
    assert.deepEqual(nodeState(), saved);
  });

  describe('on a GPU: the switches reach cuBLAS and cuDNN', function () {
    before(function () {
      if (!torch.cuda.isAvailable()) this.skip(); // GPU only (SELFSUP_TEST_DEVICE=cuda makes a missing GPU fail elsewhere)
    });

    /** max |gpu - cpu| / max |cpu| of `fn` on the same float32 inputs. */
    const relError = (fn: (a: torch.Tensor, b: torch.Tensor) => torch.Tensor, a: torch.Tensor, b: torch.Tensor): number =>
      torch.scope(() => {
        const ref = fn(a, b);
        const got = fn(a.cuda(), b.cuda()).cpu();
        return Number(got.sub(ref).abs().max().item()) / Number(ref.abs().max().item());
      });

    it('float32 matmul: exact at "highest", TF32 (about 1e-3 relative) at "high"', () => {
      torch.manualSeed(0);
      const a = torch.randn([512, 512]);
      const b = torch.randn([512, 512]);
      const exact = torch.withBackends({ float32MatmulPrecision: 'highest' }, () => relError((x, y) => x.matmul(y), a, b));
      const tf32 = torch.withBackends({ matmulAllowTF32: true }, () => relError((x, y) => x.matmul(y), a, b));
      assert.ok(exact < 1e-5, `highest: ${exact}`);
      assert.ok(tf32 > 1e-4, `TF32 on: ${tf32} (the switch did not reach cuBLAS)`);
    });

    it('float32 convolution: exact with cudnn.allowTF32 false, TF32 with true', () => {
      torch.manualSeed(0);
      const x = torch.randn([8, 64, 32, 32]);
      const w = torch.randn([64, 64, 3, 3]);
      const conv = (a: torch.Tensor, b: torch.Tensor): torch.Tensor => conv2d(a, b, null, { padding: 1 });
      const exact = torch.withBackends({ cudnnAllowTF32: false }, () => relError(conv, x, w));
      const tf32 = torch.withBackends({ cudnnAllowTF32: true }, () => relError(conv, x, w));
      assert.ok(exact < 1e-5, `TF32 off: ${exact}`);
      assert.ok(tf32 > 1e-4, `TF32 on: ${tf32} (the switch did not reach cuDNN)`);
    });
  });
});
