import type { Command } from 'commander';
import { intFlag, numberFlag } from '../flags.js';

interface SynthFlags {
  out: string;
  seed?: number;
  train?: number;
  dev?: number;
  test?: number;
  snr?: number;
  snrSpread?: number;
  speakerVariation?: number;
  coarticulation?: number;
  tokenVariation?: number;
  rateVariation?: number;
  f0Range?: number;
  spectralTilt?: number;
  channel?: number;
  sa: boolean;
  workers?: number;
  force?: boolean;
  json?: boolean;
}

interface SpectrogramFlags {
  out: string;
  phn?: string;
  wrd?: string;
  from?: number;
  to?: number;
  window?: number;
  title?: string;
}

/**
 * `mohaq corpus synth`: the built-in speech corpus (TIMIT layout, exact phone boundaries), and
 * `mohaq corpus spectrogram`: a labelled spectrogram PNG of any TIMIT-style utterance.
 */
export function register(program: Command): void {
  const corpus = program.command('corpus').description('the built-in synthetic speech corpus (TIMIT layout) and spectrogram pictures');
  corpus
    .command('synth')
    .description(
      'synthesize a speech corpus in TIMIT layout (TRAIN|TEST/DR*/SPEAKER/*.WAV,.PHN,.WRD,.TXT + mohaq-splits.json); ' +
        'the same seed and options give a byte-identical corpus',
    )
    .requiredOption('--out <dir>', 'corpus folder to create (a new or empty folder, or a previous synthetic corpus with --force)')
    .option('--seed <n>', 'seed of every random choice (default 1)', intFlag('--seed'))
    .option('--train <n>', 'training utterances, SA not counted (default 1500)', intFlag('--train', 0, 1_000_000))
    .option('--dev <n>', 'dev utterances (TEST part, dev speakers) (default 250)', intFlag('--dev', 0, 1_000_000))
    .option('--test <n>', 'core-test utterances (TEST part, test speakers) (default 250)', intFlag('--test', 0, 1_000_000))
    .option('--snr <db>', 'mean signal-to-noise ratio of the background noise, dB (default 14)', numberFlag('--snr', -10, 100))
    .option('--snr-spread <db>', 'per-utterance SNR varies within snr +- this, dB (default 5)', numberFlag('--snr-spread', 0, 30))
    .option('--speaker-variation <x>', 'spread of speakers: vocal tract, F0, rate, voice quality (default 1)', numberFlag('--speaker-variation', 0, 3))
    .option('--coarticulation <x>', 'articulatory sluggishness: 0.5 crisp .. 2 slurred (default 1)', numberFlag('--coarticulation', 0.25, 4))
    .option('--token-variation <x>', 'spread of per-token formant targets and levels (default 1)', numberFlag('--token-variation', 0, 4))
    .option('--rate-variation <x>', 'spread of utterance rate and phone durations (default 1)', numberFlag('--rate-variation', 0, 3))
    .option('--f0-range <x>', 'scale of intonation, 0 = monotone (default 1)', numberFlag('--f0-range', 0, 3))
    .option('--spectral-tilt <x>', 'spread of voice brightness across speakers (default 1)', numberFlag('--spectral-tilt', 0, 3))
    .option('--channel <x>', 'spread of the per-speaker recording channel colouring (default 1)', numberFlag('--channel', 0, 4))
    .option('--no-sa', 'leave out the two SA sentences every speaker reads')
    .option('--workers <n>', 'worker threads (default: all cores; the output does not depend on it)', intFlag('--workers', 1, 256))
    .option('--force', 'replace an existing synthetic corpus in --out')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: SynthFlags) => {
      const { synthesizeCorpus } = await import('../../data/synth/corpus.js');
      const { autoProgress } = await import('../../util/progress.js');
      const summary = await synthesizeCorpus(
        opts.out,
        {
          seed: opts.seed,
          train: opts.train,
          dev: opts.dev,
          test: opts.test,
          saSentences: opts.sa,
          snrDb: opts.snr,
          snrSpreadDb: opts.snrSpread,
          speakerVariation: opts.speakerVariation,
          coarticulation: opts.coarticulation,
          tokenVariation: opts.tokenVariation,
          rateVariation: opts.rateVariation,
          f0Range: opts.f0Range,
          spectralTilt: opts.spectralTilt,
          channel: opts.channel,
          workers: opts.workers,
        },
        { overwrite: opts.force ?? false, progress: opts.json ? undefined : autoProgress() },
      );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const { speakers: s, utterances: u } = summary;
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      process.stdout.write(
        `wrote ${summary.outDir}\n` +
          `  train  ${count(u.train, 'utterance')}, ${count(s.train, 'speaker')}\n` +
          `  dev    ${count(u.dev, 'utterance')}, ${count(s.dev, 'speaker')}\n` +
          `  test   ${count(u.test, 'utterance')}, ${count(s.test, 'speaker')}\n` +
          (u.sa ? `  SA     ${u.sa} utterances (read by every speaker; readers skip them by default)\n` : '') +
          `  audio  ${(summary.seconds / 3600).toFixed(2)} h at 16 kHz, seed ${summary.seed}, ${summary.elapsedSec.toFixed(1)} s on ${summary.workers} worker(s)\n`,
      );
    });

  corpus
    .command('spectrogram')
    .description('draw a wide-band spectrogram of an utterance with its .PHN and .WRD boundaries as a PNG')
    .argument('<audio>', 'NIST SPHERE or RIFF .WAV file; X.PHN and X.WRD next to it are used when present')
    .requiredOption('--out <png>', 'PNG file to write')
    .option('--phn <file>', 'phone segmentation (default: the .PHN next to the audio)')
    .option('--wrd <file>', 'word segmentation (default: the .WRD next to the audio)')
    .option('--from <s>', 'start time, seconds', numberFlag('--from', 0))
    .option('--to <s>', 'end time, seconds', numberFlag('--to', 0))
    .option('--window <ms>', 'analysis window, ms: 6 wide-band (formants), 30 narrow-band (harmonics) (default 6)', numberFlag('--window', 1, 100))
    .option('--title <text>', 'caption (default: the audio path and its .TXT sentence)')
    .action(async (audioPath: string, opts: SpectrogramFlags) => {
      const { renderSpectrogramFile } = await import('../../data/synth/spectrogram-file.js');
      const out = await renderSpectrogramFile(audioPath, opts.out, {
        phnPath: opts.phn,
        wrdPath: opts.wrd,
        title: opts.title,
        spectrogram: { fromSec: opts.from, toSec: opts.to, windowMs: opts.window },
      });
      process.stdout.write(`wrote ${out.path} (${out.width}x${out.height})\n`);
    });
}
