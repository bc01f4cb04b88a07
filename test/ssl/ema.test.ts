// EMA helpers: initTeacher copies and freezes, emaUpdate_ is exactly
// m * teacher + (1 - m) * student on parameters only, mismatches are errors,
// and the momentum schedule runs from 0.996 to 1.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Module } from '../../lib/nn/module';
import { Linear } from '../../lib/nn/layers/linear';
import { BatchNorm1d } from '../../lib/nn/layers/batch-norm';
import { Sequential } from '../../lib/nn/layers/container';
import { emaUpdate_, initTeacher, momentumSchedule } from '../../lib/ssl/ema';

function values(t: torch.Tensor): number[] {
  return Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
}

function net(): Sequential {
  return new Sequential(new Linear(5, 4), new BatchNorm1d(4), new Linear(4, 3));
}

describe('ssl ema', () => {
  it('initTeacher copies parameters and buffers and freezes the teacher', () => {
    const student = net();
    const teacher = net();
    student.forward(torch.randn([6, 5])); // gives the student non-default batch-norm statistics
    initTeacher(teacher, student);
    for (const [k, t] of teacher.stateDict()) {
      const s = student.stateDict().get(k)!;
      assert.deepEqual(values(t), values(s), k);
      assert.notEqual(t, s, `${k} must be a copy, not the same tensor`);
    }
    assert.ok(teacher.parameters().every((p) => !p.requiresGrad));
    assert.ok(student.parameters().every((p) => p.requiresGrad));
  });

  it('emaUpdate_ gives m * teacher + (1 - m) * student and leaves buffers alone', () => {
    const student = net();
    const teacher = net();
    const m = 0.9;
    const oldTeacher = new Map([...teacher.namedParameters()].map(([k, t]) => [k, values(t)]));
    const oldBuffers = new Map([...teacher.namedBuffers()].map(([k, t]) => [k, values(t)]));
    emaUpdate_(teacher, student, m);
    for (const [k, t] of teacher.namedParameters()) {
      const s = values([...student.namedParameters()].find(([n]) => n === k)![1]);
      const expected = oldTeacher.get(k)!.map((v, i) => m * v + (1 - m) * s[i]);
      values(t).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-6, `${k}[${i}]: ${v} vs ${expected[i]}`));
    }
    for (const [k, t] of teacher.namedBuffers()) assert.deepEqual(values(t), oldBuffers.get(k), k);
    // momentum 1 keeps the teacher, 0 copies the student.
    const before = values(teacher.parameters()[0]);
    emaUpdate_(teacher, student, 1);
    assert.deepEqual(values(teacher.parameters()[0]), before);
    emaUpdate_(teacher, student, 0);
    assert.deepEqual(values(teacher.parameters()[0]), values(student.parameters()[0]));
  });

  it('emaUpdate_ rejects mismatched teacher and student, and a bad momentum', () => {
    assert.throws(() => emaUpdate_(new Linear(4, 3), new Linear(4, 2), 0.99),
      /EMA teacher parameter 'weight' has shape \[3, 4\] but the student's is \[2, 4\]/);
    assert.throws(() => emaUpdate_(new Linear(4, 3), new Linear(4, 3, { bias: false }), 0.99),
      /EMA teacher has parameter 'bias' that the student lacks/);
    assert.throws(() => emaUpdate_(new Linear(4, 3, { bias: false }), new Linear(4, 3), 0.99),
      /EMA student has 2 parameters but the teacher has 1/);
    const other = new Module();
    assert.throws(() => emaUpdate_(net(), other, 0.99), /EMA teacher has parameter '0.weight' that the student lacks/);
    assert.throws(() => emaUpdate_(net(), net(), 1.5), /Expected a number in \[0, 1\] for momentum but received 1.5/);
  });

  it('momentumSchedule rises from 0.996 to 1 on a cosine', () => {
    const tau = momentumSchedule({ totalSteps: 100 });
    assert.equal(tau(0), 0.996);
    assert.ok(Math.abs(tau(50) - 0.998) < 1e-12);
    assert.equal(tau(100), 1);
    for (let k = 1; k <= 100; k++) assert.ok(tau(k) >= tau(k - 1));
    assert.throws(() => momentumSchedule({ base: 2, totalSteps: 10 }), /Expected a number in \[0, 1\] for base but received 2/);
  });
});
