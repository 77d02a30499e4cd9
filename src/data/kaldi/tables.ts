/**
 * Kaldi's small text tables: `phones.txt` (symbol table `name id`), `utt2spk` (`utt speaker`) and
 * `text` (`utt token token ...`).
 */
import { invalidFile } from '../../util/errors.js';
import { PHONE48_INDEX, phoneTo48 } from '../phones.js';

/** `name id` lines → id → name. */
export function parseSymbolTable(text: string, file = 'phones.txt'): Map<number, string> {
  const out = new Map<number, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (!s) return;
    const m = /^(\S+)\s+(\d+)$/.exec(s);
    if (!m) throw invalidFile(file, `line ${i + 1}: expected "symbol id" but found ${JSON.stringify(s.slice(0, 60))}`);
    const id = Number(m[2]);
    if (out.has(id)) throw invalidFile(file, `line ${i + 1}: id ${id} is given twice (${out.get(id)} and ${m[1]})`);
    out.set(id, m[1]!);
  });
  if (out.size === 0) throw invalidFile(file, 'no symbols');
  return out;
}

/**
 * Phone id → 48-phone index for every TIMIT phone in a symbol table (position suffixes and 61-set
 * names are folded); `<eps>` and disambiguation symbols map to -1. A symbol that is no TIMIT phone
 * is an error naming it.
 */
export function phoneIdMap(table: Map<number, string>, file = 'phones.txt'): Int32Array {
  const maxId = Math.max(...table.keys());
  const map = new Int32Array(maxId + 1).fill(-2); // -2: id absent from the table
  for (const [id, name] of table) {
    const p = phoneTo48(name);
    if (p === undefined) throw invalidFile(file, `unknown phone ${JSON.stringify(name)} (id ${id}): expected TIMIT phones (the 48 or 61 set, optionally with _B/_E/_I/_S)`);
    map[id] = p === null ? -1 : PHONE48_INDEX.get(p)!;
  }
  return map;
}

/** `utt speaker` lines. */
export function parseUtt2spk(text: string, file = 'utt2spk'): Map<string, string> {
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (!s) return;
    const m = /^(\S+)\s+(\S+)$/.exec(s);
    if (!m) throw invalidFile(file, `line ${i + 1}: expected "utterance speaker" but found ${JSON.stringify(s.slice(0, 60))}`);
    out.set(m[1]!, m[2]!);
  });
  return out;
}

/** `utt tok tok ...` lines (Kaldi's `text`). */
export function parseKaldiText(text: string, file = 'text'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  text.split(/\r?\n/).forEach((raw) => {
    const s = raw.trim();
    if (!s) return;
    const [key, ...tokens] = s.split(/\s+/);
    if (out.has(key!)) throw invalidFile(file, `utterance "${key}" appears twice`);
    out.set(key!, tokens);
  });
  return out;
}
