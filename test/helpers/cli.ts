/** Runs the mohaq CLI from source (through tsx) and captures its output and exit code. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runMohaq(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, ['--conditions=mohaq-source', '--import', 'tsx', MAIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    input: opts.input,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
