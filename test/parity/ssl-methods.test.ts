// Parity of one SimCLR and one BYOL training step with PyTorch: the methods'
// state dicts and two fixed views go to Debian's python3-torch, where the
// same networks (lightly's heads, the small CNN) run one step written from the
// papers (test/helpers/ssl_methods_ref.py). Loss, every gradient, and every
// weight and buffer after plain SGD (and BYOL's EMA update) must agree.
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { loadSafetensors, saveSafetensors } from '../../lib/torch/safetensors';
import { SGD } from '../../lib/optim/sgd';
import { Method } from '../../lib/ssl/method';
import { SimCLR } from '../../lib/ssl/simclr';
import { BYOL } from '../../lib/ssl/byol';

type Tensor = torch.Tensor;

const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
const CONFIG = { width: 8, hiddenDim: 64, outDim: 32, temperature: 0.5, lr: 0.1, momentum: 0.996 };

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no selfsup package.json above ${__dirname}`);
  }
}

function values(t: Tensor): number[] {
  return Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
}

/**
 * |got - expected| <= atol * max|expected| + rtol * |expected| + 1e-6, element-wise.
 * NOTE: the absolute floor covers gradients that are zero in exact arithmetic
 * (a bias followed by batch norm, as the projector's last bias feeding the
 * predictor's BN): both sides hold only rounding noise (~1e-8) there.
 */
function assertNear(got: Tensor, expected: Tensor, what: string, rtol = 1e-4, atol = 1e-4): void {
  assert.deepEqual(got.shape, expected.shape, `${what}: shape`);
  const g = values(got);
  const e = values(expected);
  const scale = Math.max(1e-6, ...e.map(Math.abs));
  e.forEach((v, i) => {
    const tol = atol * scale + rtol * Math.abs(v) + 1e-6;
    assert.ok(Math.abs(g[i] - v) <= tol, `${what}[${i}]: ${g[i]} vs ${v} (tolerance ${tol})`);
  });
}

/** One step as the Trainer takes it, with plain SGD; returns the loss. */
function step(method: Method): { loss: Tensor; grads: Map<string, Tensor> } {
  method.train();
  const opt = new SGD(method.parameterGroups(0), { lr: CONFIG.lr });
  const progress = { step: 0, totalSteps: 10, epoch: 0, stepsPerEpoch: 10 };
  const { loss } = method.trainingStep(views(), progress);
  loss.backward();
  const grads = new Map([...method.namedParameters()].filter(([, p]) => p.requiresGrad).map(([k, p]) => [k, p.grad!.clone()]));
  opt.step();
  method.afterOptimizerStep(progress);
  return { loss, grads };
}

let fixed: Tensor[] = [];
function views(): Tensor[] {
  return fixed;
}

describe('parity: SimCLR and BYOL steps against PyTorch', function () {
  this.timeout(120_000);
  let dir = '';
  let threads = 1;
  let simclr: SimCLR;
  let byol: BYOL;

  before(() => {
    torch.manualSeed(0);
    const model = { encoder: 'small_cnn', encoderOptions: { width: CONFIG.width }, hiddenDim: CONFIG.hiddenDim, outDim: CONFIG.outDim };
    simclr = new SimCLR({ ...model, temperature: CONFIG.temperature });
    byol = new BYOL(model);
    fixed = [torch.keep(torch.randn([8, 3, 16, 16])), torch.keep(torch.randn([8, 3, 16, 16]))];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-ssl-methods-'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIG));
    saveSafetensors(path.join(dir, 'views.safetensors'), { x1: fixed[0], x2: fixed[1] });
    saveSafetensors(path.join(dir, 'simclr.weights.safetensors'), simclr.stateDict());
    saveSafetensors(path.join(dir, 'byol.weights.safetensors'), byol.stateDict());
    execFileSync(PYTHON, [path.join(repoRoot(), 'test', 'helpers', 'ssl_methods_ref.py'), dir], { encoding: 'utf8' });
    // NOTE: one intra-op thread, as the Python side, so that both sum in the same order.
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
  });

  after(() => {
    torch.setNumThreads(threads);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['simclr', 'byol'] as const) {
    it(`${name}: loss, gradients, updated weights and buffers`, () => {
      const method = name === 'simclr' ? simclr : byol;
      const ref = loadSafetensors(path.join(dir, `${name}.ref.safetensors`));
      const { loss, grads } = step(method);
      assertNear(loss.reshape([1]), ref.get('loss')!, `${name} loss`, 1e-5, 0);
      assert.equal(grads.size, [...ref.keys()].filter((k) => k.startsWith('grad.')).length);
      for (const [k, g] of grads) assertNear(g, ref.get(`grad.${k}`)!, `${name} grad.${k}`);
      const after = method.stateDict();
      assert.equal(after.size, [...ref.keys()].filter((k) => k.startsWith('after.')).length);
      for (const [k, t] of after) assertNear(t, ref.get(`after.${k}`)!, `${name} after.${k}`);
    });
  }
});
