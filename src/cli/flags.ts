/**
 * Flag parsers shared by all commands. Each returns a commander argParser that turns a bad value into
 * the one error sentence (`Expected <what> for --flag but received <value>`), which the CLI prints and
 * exits 2 on.
 */
import { invalidParameter } from '../util/errors.js';
import { parseSize } from '../util/units.js';

export function intFlag(flag: string, min = -Infinity, max = Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = min > -Infinity && max < Infinity ? ` in ${min}..${max}` : min > -Infinity ? ` >= ${min}` : '';
      throw invalidParameter(flag, `an integer${range}`, value);
    }
    return n;
  };
}

export function numberFlag(flag: string, min = -Infinity, max = Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      const range = min > -Infinity && max < Infinity ? ` in [${min}, ${max}]` : min > -Infinity ? ` >= ${min}` : '';
      throw invalidParameter(flag, `a number${range}`, value);
    }
    return n;
  };
}

export function choiceFlag<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw invalidParameter(flag, `one of ${choices.join(', ')}`, value);
    return value as T;
  };
}

/** Parses a byte size: `2MiB`, `1.5 MB`, `300kB`, `4096`. */
export function parseByteSize(value: string, flag: string): number {
  const bytes = parseSize(value);
  if (bytes === null) throw invalidParameter(flag, 'a size such as 2MiB, 1.5MB, 300kB or a byte count', value);
  return bytes;
}

export function sizeFlag(flag: string): (value: string) => number {
  return (value) => parseByteSize(value, flag);
}
