/** The built-in platforms, validated by the same schema as user files on first use. */
import { existsSync } from 'node:fs';
import { invalidParameter } from '../../util/errors.js';
import { parsePlatform, readPlatformFile } from '../platform.js';
import type { Platform, PlatformSpec } from '../platform.js';
import { bitfusion } from './bitfusion.js';
import { bitfusionSim } from './bitfusion-sim.js';
import { silago } from './silago.js';
import { size } from './size.js';

export const BUILTIN_PLATFORM_SPECS: Readonly<Record<string, PlatformSpec>> = {
  silago,
  bitfusion,
  'bitfusion-sim': bitfusionSim,
  size,
};

const resolved = new Map<string, Platform>();

export function builtinPlatformNames(): string[] {
  return Object.keys(BUILTIN_PLATFORM_SPECS);
}

/** A built-in platform by name; undefined when there is none. */
export function builtinPlatform(name: string): Platform | undefined {
  if (!Object.hasOwn(BUILTIN_PLATFORM_SPECS, name)) return undefined;
  const spec = BUILTIN_PLATFORM_SPECS[name]!;
  let p = resolved.get(name);
  if (!p) {
    p = parsePlatform(spec, `built-in platform ${name}`);
    resolved.set(name, p);
  }
  return p;
}

/** A built-in platform by name, or a platform JSON file by path; `flag` names the option in errors. */
export function loadPlatform(nameOrFile: string, flag = 'platform'): Platform {
  const builtin = builtinPlatform(nameOrFile);
  if (builtin) return builtin;
  if (existsSync(nameOrFile) || nameOrFile.endsWith('.json')) return readPlatformFile(nameOrFile);
  throw invalidParameter(flag, `a platform name (one of ${builtinPlatformNames().join(', ')}) or a platform JSON file`, nameOrFile);
}
