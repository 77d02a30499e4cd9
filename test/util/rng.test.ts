import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';

test('same seed gives the same stream, different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.uint32());
  const sb = Array.from({ length: 8 }, () => b.uint32());
  const sc = Array.from({ length: 8 }, () => c.uint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

test('fork depends on the label and the parent seed, not on the parent position', () => {
  const a = new Rng(7);
  const f1 = a.fork('worker:1').uint32();
  a.uint32();
  a.uint32();
  assert.equal(a.fork('worker:1').uint32(), f1);
  assert.notEqual(a.fork('worker:2').uint32(), f1);
});

test('state round trip resumes the exact stream', () => {
  const a = new Rng(3);
  a.normal();
  const s = a.getState();
  const next = [a.float(), a.normal(), a.int(1000)];
  const b = Rng.fromState(JSON.parse(JSON.stringify(s)));
  assert.deepEqual([b.float(), b.normal(), b.int(1000)], next);
});

test('int is uniform and in range; float in [0,1)', () => {
  const r = new Rng(1);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
  for (let i = 0; i < 10000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < 20000; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / 20000) < 0.03);
  assert.ok(Math.abs(s2 / 20000 - 1) < 0.05);
});
