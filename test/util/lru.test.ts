import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from '../../src/util/lru.js';

test('LruCache: evicts the least recently used entries to fit the weight bound', () => {
  const c = new LruCache<string>(10);
  c.set('a', 'A', 4);
  c.set('b', 'B', 4);
  assert.equal(c.weight, 8);
  assert.equal(c.get('a'), 'A'); // a is now the most recently used
  c.set('c', 'C', 4); // 12 > 10: drops b, not a
  assert.deepEqual([c.has('a'), c.has('b'), c.has('c')], [true, false, true]);
  assert.equal(c.weight, 8);
  c.set('a', 'A2', 2); // replacing frees the old weight first
  assert.equal(c.weight, 6);
  assert.equal(c.get('a'), 'A2');
  c.set('huge', 'H', 11); // heavier than the bound: not kept, nothing evicted
  assert.deepEqual([c.has('huge'), c.size, c.weight], [false, 2, 6]);
  c.set('d', 'D', 10); // needs everything
  assert.deepEqual([c.size, c.weight, c.get('d')], [1, 10, 'D']);
  assert.equal(c.get('missing'), undefined);
  c.clear();
  assert.deepEqual([c.size, c.weight], [0, 0]);
});

test('LruCache: a count bound with unit weights', () => {
  const c = new LruCache<number>(3);
  for (let i = 0; i < 5; i++) c.set(`k${i}`, i);
  assert.deepEqual([c.has('k0'), c.has('k1'), c.has('k2'), c.has('k4')], [false, false, true, true]);
  assert.equal(c.size, 3);
});
