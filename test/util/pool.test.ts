import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool } from '../../src/util/pool.js';

const entry = new URL('./fixtures/square-worker.ts', import.meta.url);

test('a pool returns results in task order, the same for any thread count', async () => {
  const tasks = Array.from({ length: 20 }, (_, i) => ({ x: i }));
  const results: number[][] = [];
  for (const threads of [1, 2]) {
    const pool = await createPool<{ offset: number }, { x: number }, { y: number; thread: number }>(entry, { offset: 7 }, threads);
    const r = await pool.map(tasks);
    await pool.close();
    results.push(r.map((v) => v.y));
    if (threads === 2) assert.ok(r.every((v) => v.thread !== 0), 'tasks ran in worker threads');
  }
  assert.deepEqual(results[0], tasks.map((t) => t.x * t.x + 7));
  assert.deepEqual(results[1], results[0]);
});
