/**
 * The standard TIMIT splits as Kaldi's `egs/timit/s5` recipe uses them: train = every speaker under
 * TRAIN/ (462), dev = 50 speakers of TEST/ (`conf/dev_spk.list`), test = the 24-speaker core test set
 * (`conf/test_spk.list`: two men and one woman per dialect region). The SA sentences are left out of
 * all three by default (they are read by every speaker and would bias the phone statistics).
 *
 * A corpus may override dev and test with `<corpus>/mohaq-splits.json` =
 * `{ "dev": ["FADG0", ...], "test": ["MDAB0", ...] }` (speaker ids as the folder names under
 * TEST/DR*\/). The built-in synthesizer writes that file; real TIMIT has none.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { invalidFile } from '../../util/errors.js';
import { readJson } from '../../util/fsx.js';

export const SPLITS_FILE = 'mohaq-splits.json';

/** Kaldi `egs/timit/s5/conf/dev_spk.list` (50 speakers), upper-cased as TIMIT's folder names. */
export const DEV_SPEAKERS: readonly string[] = [
  'FAKS0', 'FDAC1', 'FJEM0', 'MGWT0', 'MJAR0', 'MMDB1', 'MMDM2', 'MPDF0', 'FCMH0', 'FKMS0',
  'MBDG0', 'MBWM0', 'MCSH0', 'FADG0', 'FDMS0', 'FEDW0', 'MGJF0', 'MGLB0', 'MRTK0', 'MTAA0',
  'MTDT0', 'MTHC0', 'MWJG0', 'FNMR0', 'FREW0', 'FSEM0', 'MBNS0', 'MMJR0', 'MDLS0', 'MDLF0',
  'MDVC0', 'MERS0', 'FMAH0', 'FDRW0', 'MRCS0', 'MRJM4', 'FCAL1', 'MMWH0', 'FJSJ0', 'MAJC0',
  'MJSW0', 'MREB0', 'FGJD0', 'FJMG0', 'MROA0', 'MTEB0', 'MJFC0', 'MRJR0', 'FMML0', 'MRWS1',
];

/** The 24-speaker core test set (Kaldi `conf/test_spk.list`), by dialect region DR1..DR8. */
export const CORE_TEST_SPEAKERS: readonly string[] = [
  'MDAB0', 'MWBT0', 'FELC0', // DR1
  'MTAS1', 'MWEW0', 'FPAS0', // DR2
  'MJMP0', 'MLNT0', 'FPKT0', // DR3
  'MLLL0', 'MTLS0', 'FJLM0', // DR4
  'MBPM0', 'MKLT0', 'FNLP0', // DR5
  'MCMJ0', 'MJDH0', 'FMGD0', // DR6
  'MGRT0', 'MNJM0', 'FDHC0', // DR7
  'MJLN0', 'MPAM0', 'FMLD0', // DR8
];

export interface SpeakerSplits {
  dev: string[];
  test: string[];
  /** Where the lists came from: 'standard' or the path of the override file. */
  source: string;
}

/** The dev/test speaker lists for a corpus: its `mohaq-splits.json` if present, else the standard ones. */
export function loadSpeakerSplits(corpusDir: string): SpeakerSplits {
  const file = join(corpusDir, SPLITS_FILE);
  if (!existsSync(file)) return { dev: [...DEV_SPEAKERS], test: [...CORE_TEST_SPEAKERS], source: 'standard' };
  const raw = readJson<Record<string, unknown>>(file, 'TIMIT split file');
  const list = (key: 'dev' | 'test'): string[] => {
    const v = raw?.[key];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0)) {
      throw invalidFile(file, `field "${key}" must be an array of speaker ids such as ["FADG0", ...]`);
    }
    return v.map((s: string) => s.toUpperCase());
  };
  const dev = list('dev');
  const test = list('test');
  const both = dev.filter((s) => test.includes(s));
  if (both.length) throw invalidFile(file, `speaker ${both[0]} is in both "dev" and "test"`);
  return { dev, test, source: file };
}
