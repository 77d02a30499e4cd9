// The test command: type-check everything (src, tests, benches), then run every test/**/*.test.ts with
// node:test through tsx. `npm test -- test/kernels` runs only the tests under the given paths.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function findTests(path) {
  const st = statSync(path);
  if (st.isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => findTests(join(path, name)));
}

const args = process.argv.slice(2);
const skipTypecheck = args.includes('--no-typecheck');
const paths = args.filter((a) => !a.startsWith('--'));
const files = (paths.length ? paths : ['test']).flatMap((p) => findTests(join(root, p)));

if (!skipTypecheck) {
  const t0 = Date.now();
  const tc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
  if (tc.status !== 0) {
    console.error('type check failed');
    process.exit(tc.status ?? 1);
  }
  console.log(`type check passed in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const run = spawnSync(
  process.execPath,
  ['--conditions=mohaq-source', '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=600000', ...files.map((f) => relative(root, f))],
  { stdio: 'inherit', cwd: root, env: { ...process.env, MOHAQ_TEST: '1' } },
);
process.exit(run.status ?? 1);
