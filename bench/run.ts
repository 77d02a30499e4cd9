/**
 * `npm run bench [-- name ...]`: runs every bench/<name>.bench.ts (or only the named ones), each in its
 * own process so one benchmark's JIT and memory state do not colour the next.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(1);
}
console.log(`mohaq benchmarks on Node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--conditions=mohaq-source', '--import', 'tsx', `${dir}${f}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${f} failed with exit code ${r.status}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
