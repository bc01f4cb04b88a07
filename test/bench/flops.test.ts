import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Module } from '../../lib/nn/module';
import { Conv2d } from '../../lib/nn/layers/conv';
import { Linear } from '../../lib/nn/layers/linear';
import { VitBlock } from '../../lib/models/vit-block';
import { create } from '../../lib/models/registry';
import { FlopCount, attentionFlops, conv2dFlops, countFlops, countStepFlops, linearFlops, workloadFlops } from '../../lib/bench/flops';
import { buildMethod, makeViews } from '../../lib/bench/workload-setup';
import { DINO } from '../../lib/ssl/dino';
import { workload } from '../../lib/bench/workloads';

/** The repository root: the first folder above this file whose package.json is named "selfsup". */
function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
  }
  throw new Error(`No selfsup package.json above ${__dirname}`);
}

/** conv (3 -> 8, 3x3, padding 1), global average pool, linear (8 -> 4). */
class ConvLinear extends Module {
  readonly conv = this.registerModule('conv', new Conv2d(3, 8, 3, { padding: 1 }));
  readonly fc = this.registerModule('fc', new Linear(8, 4));
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.conv.forward(x).mean([2, 3]));
  }
}

const CONV_FWD = 2 * 2 * 8 * 8 * 8 * 3 * 9; // 2 * N * Cout * H * W * Cin * k * k = 55296
const FC_FWD = 2 * 2 * 8 * 4; // 128
// A ViT block of width 16 on (2, 5, 16): qkv, proj, fc1, fc2 and the two attention matmuls.
const BLOCK_LINEAR = 2 * 10 * 16 * 48 + 2 * 10 * 16 * 16 + 2 * 10 * 16 * 64 * 2; // 61440
const BLOCK_ATTENTION = 2 * 2 * 2 * 5 * 5 * 16; // 3200

describe('bench/flops', () => {
  it('counts a conv + linear model by hand: the first layer twice (no input gradient), the rest three times', () => {
    torch.manualSeed(0);
    const model = new ConvLinear();
    const x = torch.randn([2, 3, 8, 8]);
    const c = countFlops(model, () => torch.scope(() => { model.forward(x); }));
    assert.equal(c.forward, CONV_FWD + FC_FWD);
    assert.equal(c.byKind.conv, 2 * CONV_FWD);
    assert.equal(c.byKind.linear, 3 * FC_FWD);
    assert.equal(c.total, 2 * CONV_FWD + 3 * FC_FWD);
    const frozen = torch.noGrad(() => countFlops(model, () => torch.scope(() => { model.forward(x); })));
    assert.equal(frozen.total, CONV_FWD + FC_FWD, 'under no-grad an op counts once');
    // The wrappers are gone afterwards: the instance's forward is the class's again.
    assert.equal(Object.prototype.hasOwnProperty.call(model.conv, 'forward'), false);
    model.dispose();
    x.dispose();
  });

  it('counts a ViT block by hand (linear layers and attention matmuls, times 3)', () => {
    torch.manualSeed(0);
    const block = new VitBlock(16, { numHeads: 2 });
    const x = torch.randn([2, 5, 16], { requiresGrad: true });
    const c = countFlops(block, () => torch.scope(() => { block.forward(x); }));
    assert.equal(c.forward, BLOCK_LINEAR + BLOCK_ATTENTION);
    assert.deepEqual(c.byKind, { conv: 0, linear: 3 * BLOCK_LINEAR, attention: 3 * BLOCK_ATTENTION });
    assert.equal(attentionFlops([2, 5, 16]), BLOCK_ATTENTION);
    assert.equal(linearFlops([2, 5, 16], 16, 48), 2 * 10 * 16 * 48);
    assert.equal(conv2dFlops([8, 3, 3, 3], [2, 8, 8, 8]), CONV_FWD);
    block.dispose();
    x.dispose();
  });

  it('agrees with torch 1.13\'s profiler (with_flops) on ResNet-18 with the CIFAR stem and a timm ViT block', function () {
    this.timeout(60_000);
    const py = [
      'import json, sys, torch, torch.nn as nn, torchvision',
      'from torch.profiler import profile, ProfilerActivity',
      'def count(fn):',
      '    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as p:',
      '        fn()',
      "    return sum(e.flops for e in p.key_averages() if e.key in ('aten::conv2d', 'aten::addmm', 'aten::mm', 'aten::bmm'))",
      'r = torchvision.models.resnet18()',
      'r.conv1, r.maxpool, r.fc = nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.Identity(), nn.Identity()',
      // models_ref.py's copy of timm's Block (the parity tests' reference), attention as two bmm.
      'sys.path.insert(0, sys.argv[1])',
      'from models_ref import Block',
      'with torch.no_grad():',
      '    print(json.dumps([count(lambda: r(torch.randn(2, 3, 16, 16))), count(lambda: Block(16, 2)(torch.randn(2, 5, 16)))]))',
    ].join('\n');
    const helpers = path.join(repoRoot(), 'test', 'helpers');
    const [resnet, block] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, helpers], { encoding: 'utf8' })) as number[];
    torch.manualSeed(0);
    const net = create('resnet18', { smallImages: true, numClasses: 0 });
    const x = torch.randn([2, 3, 16, 16]);
    const c = torch.noGrad(() => countFlops(net, () => torch.scope(() => { net.forward(x); })));
    assert.equal(c.forward, resnet);
    const vit = new VitBlock(16, { numHeads: 2 });
    const tokens = torch.randn([2, 5, 16]);
    assert.equal(torch.noGrad(() => countFlops(vit, () => torch.scope(() => { vit.forward(tokens); }))).forward, block);
    [net, vit].forEach((m) => m.dispose());
    [x, tokens].forEach((t) => t.dispose());
  });

  it('counts a workload on a batch of 2 and scales it: SimCLR small = 16 ResNet-18 forwards x 3, the stem x 2', function () {
    this.timeout(60_000);
    const c = workloadFlops(workload('simclr', 'small'));
    // 277,708,800 conv FLOPs per 16 px image (torch 1.13's profiler, previous test); 2 views x batch 8.
    const perImage = 277_708_800;
    const stem = 2 * 64 * 16 * 16 * 3 * 9;
    assert.equal(c.byKind.conv, 16 * (3 * perImage - stem));
    // Projector 512 -> 512 -> 128 on 16 rows, times 3.
    assert.equal(c.byKind.linear, 3 * 16 * 2 * (512 * 512 + 512 * 128));
    assert.equal(c.byKind.attention, 0);
  });

  it('counts the teacher of DINO once (no gradient) and the student three times (the patch stem twice)', function () {
    this.timeout(60_000);
    const w = { ...workload('dino', 'small'), batch: 2 };
    torch.manualSeed(0);
    const method = buildMethod(w) as DINO;
    const views = makeViews(w, 'cpu');
    // The teacher's own count, taken during the same step (its modules are wrapped by both counters).
    let teacherHead!: FlopCount;
    let c!: FlopCount;
    const teacher = countFlops(method.teacherEncoder, () => {
      teacherHead = countFlops(method.teacherHead, () => { c = countStepFlops(method, views); });
    });
    const T = teacher.forward + teacherHead.forward;
    assert.equal(teacher.total, teacher.forward, 'the teacher runs under no-grad: forward only');
    assert.ok(T > 0);
    const studentConv = (c.byKind.conv - teacher.byKind.conv) / 2; // the stem: weight gradient only
    assert.equal(c.total, 3 * (c.forward - T) - studentConv + T);
    assert.equal(workloadFlops({ ...w, batch: 8 }).total, 4 * c.total, 'scales linearly with the batch');
    views.forEach((v) => v.dispose());
    method.dispose();
  });
});
