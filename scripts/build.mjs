// Build: compile TypeScript to dist/ and assemble the WASM kernels from their TypeScript generator.
// Runs on `npm ci` (prepare), so a fresh clone is runnable with no further step.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');

const t0 = Date.now();
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

const assembler = join(root, 'dist/kernels/wasm/assemble.js');
if (existsSync(assembler)) {
  const { assembleKernels, KERNELS_WASM_FILE } = await import(assembler);
  const bytes = await assembleKernels();
  const out = join(root, 'dist/kernels/wasm', KERNELS_WASM_FILE);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
}
chmodSync(join(root, 'dist/cli/main.js'), 0o755);
console.log(`mohaq built in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
