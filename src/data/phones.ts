/**
 * TIMIT phone sets and the standard folding of Lee and Hon (1989), exactly as Kaldi's
 * `egs/timit/s5/conf/phones.60-48-39.map` gives it: the 61 phones of the .PHN files are folded to 48
 * for training and to 39 for scoring; the glottal stop `q` is deleted (it has no 48-phone class).
 *
 * Index order of every set is alphabetical (the order Kaldi's TIMIT `phones.txt` lists them, minus
 * `<eps>`): a 48-phone label index in a feature store or a model output means `PHONES48[index]`.
 */
import { invalidFile } from '../util/errors.js';

/** `61-phone  48-phone  39-phone`; `q` has no folding (deleted). */
const FOLDING: ReadonlyArray<readonly [string, string | null, string | null]> = [
  ['aa', 'aa', 'aa'], ['ae', 'ae', 'ae'], ['ah', 'ah', 'ah'], ['ao', 'ao', 'aa'], ['aw', 'aw', 'aw'],
  ['ax', 'ax', 'ah'], ['ax-h', 'ax', 'ah'], ['axr', 'er', 'er'], ['ay', 'ay', 'ay'], ['b', 'b', 'b'],
  ['bcl', 'vcl', 'sil'], ['ch', 'ch', 'ch'], ['d', 'd', 'd'], ['dcl', 'vcl', 'sil'], ['dh', 'dh', 'dh'],
  ['dx', 'dx', 'dx'], ['eh', 'eh', 'eh'], ['el', 'el', 'l'], ['em', 'm', 'm'], ['en', 'en', 'n'],
  ['eng', 'ng', 'ng'], ['epi', 'epi', 'sil'], ['er', 'er', 'er'], ['ey', 'ey', 'ey'], ['f', 'f', 'f'],
  ['g', 'g', 'g'], ['gcl', 'vcl', 'sil'], ['h#', 'sil', 'sil'], ['hh', 'hh', 'hh'], ['hv', 'hh', 'hh'],
  ['ih', 'ih', 'ih'], ['ix', 'ix', 'ih'], ['iy', 'iy', 'iy'], ['jh', 'jh', 'jh'], ['k', 'k', 'k'],
  ['kcl', 'cl', 'sil'], ['l', 'l', 'l'], ['m', 'm', 'm'], ['n', 'n', 'n'], ['ng', 'ng', 'ng'],
  ['nx', 'n', 'n'], ['ow', 'ow', 'ow'], ['oy', 'oy', 'oy'], ['p', 'p', 'p'], ['pau', 'sil', 'sil'],
  ['pcl', 'cl', 'sil'], ['q', null, null], ['r', 'r', 'r'], ['s', 's', 's'], ['sh', 'sh', 'sh'],
  ['t', 't', 't'], ['tcl', 'cl', 'sil'], ['th', 'th', 'th'], ['uh', 'uh', 'uh'], ['uw', 'uw', 'uw'],
  ['ux', 'uw', 'uw'], ['v', 'v', 'v'], ['w', 'w', 'w'], ['y', 'y', 'y'], ['z', 'z', 'z'],
  ['zh', 'zh', 'sh'],
];

/** The 61 phones of TIMIT's .PHN files (including the silences h#, pau, epi and the glottal stop q). */
export const PHONES61: readonly string[] = FOLDING.map((r) => r[0]);
/** The 48 training phones. */
export const PHONES48: readonly string[] = [...new Set(FOLDING.flatMap((r) => (r[1] ? [r[1]] : [])))].sort();
/** The 39 scoring phones. */
export const PHONES39: readonly string[] = [...new Set(FOLDING.flatMap((r) => (r[2] ? [r[2]] : [])))].sort();

/** 61 → 48 (`q` → null: deleted). */
export const MAP61TO48: ReadonlyMap<string, string | null> = new Map(FOLDING.map((r) => [r[0], r[1]]));
/** 48 → 39. */
export const MAP48TO39: ReadonlyMap<string, string> = new Map(FOLDING.flatMap((r) => (r[1] && r[2] ? [[r[1], r[2]] as const] : [])));

export const PHONE61_INDEX: ReadonlyMap<string, number> = new Map(PHONES61.map((p, i) => [p, i]));
export const PHONE48_INDEX: ReadonlyMap<string, number> = new Map(PHONES48.map((p, i) => [p, i]));
export const PHONE39_INDEX: ReadonlyMap<string, number> = new Map(PHONES39.map((p, i) => [p, i]));

/** 48-phone index → 39-phone index. */
export const FOLD48TO39_INDEX: Int32Array = Int32Array.from(PHONES48, (p) => PHONE39_INDEX.get(MAP48TO39.get(p)!)!);

/** Folds a 61-set phone to the 48 set; `null` for `q`. Throws for a label that is not a TIMIT phone. */
export function fold61to48(phone: string, where = 'phone label'): string | null {
  const p = phone.toLowerCase();
  if (!MAP61TO48.has(p)) throw invalidFile(where, `unknown phone ${JSON.stringify(phone)} (expected one of the 61 TIMIT phones)`);
  return MAP61TO48.get(p)!;
}

/** Folds a 48-set phone to the 39 set. Throws for a label that is not one of the 48. */
export function fold48to39(phone: string, where = 'phone label'): string {
  const p = MAP48TO39.get(phone.toLowerCase());
  if (p === undefined) throw invalidFile(where, `unknown phone ${JSON.stringify(phone)} (expected one of the 48 training phones)`);
  return p;
}

/** Folds a sequence of 48-phone indices to 39-phone indices. */
export function foldIndices48to39(seq: ArrayLike<number>): Int32Array {
  const out = new Int32Array(seq.length);
  for (let i = 0; i < seq.length; i++) out[i] = FOLD48TO39_INDEX[seq[i]!]!;
  return out;
}

/**
 * The 48-phone a phone name from another tool stands for: Kaldi's TIMIT `phones.txt` uses the 48 set
 * (maybe with word-position suffixes `_B _E _I _S`), other recipes use the 61 set. Returns null for `q`
 * and for Kaldi's `<eps>` / disambiguation symbols; undefined when the name is not a TIMIT phone.
 */
export function phoneTo48(name: string): string | null | undefined {
  const p = name.toLowerCase().replace(/_[beis]$/, '');
  if (p === '<eps>' || p.startsWith('#')) return null;
  if (PHONE48_INDEX.has(p)) return p;
  if (MAP61TO48.has(p)) return MAP61TO48.get(p)!;
  return undefined;
}
