/**
 * A labelled spectrogram of an utterance on disk: reads the audio and, when present, the .PHN, .WRD
 * and .TXT files beside it (TIMIT naming, any letter case), and writes the PNG atomically.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { readFileOrThrow, writeFileAtomic } from '../../util/fsx.js';
import { parseSegments, parseTranscript, readAudio, type Segment } from '../timit/format.js';
import { spectrogramPng, type SpectrogramOptions } from './spectrogram.js';

export interface SpectrogramFileOptions {
  phnPath?: string;
  wrdPath?: string;
  title?: string;
  spectrogram?: SpectrogramOptions;
}

/** The file next to `audioPath` with the same stem and extension `ext` (TIMIT copies vary in case). */
export function companionFile(audioPath: string, ext: string): string | null {
  const dir = dirname(audioPath);
  // SI1279.WAV, si1279.wav, SI1279.WAV.wav: the stem is everything before the first dot.
  const stem = basename(audioPath).split('.')[0]!.toUpperCase();
  const hit = readdirSync(dir).find((f) => f.toUpperCase() === `${stem}.${ext}`);
  return hit ? join(dir, hit) : null;
}

export async function renderSpectrogramFile(audioPath: string, outPath: string, o: SpectrogramFileOptions = {}): Promise<{ path: string; width: number; height: number }> {
  const audio = readAudio(readFileOrThrow(audioPath, 'audio file'), audioPath);
  const segments = (path: string | null | undefined, what: string): Segment[] | undefined =>
    path ? parseSegments(readFileOrThrow(path, what).toString('utf8'), path) : undefined;
  const phones = segments(o.phnPath ?? companionFile(audioPath, 'PHN'), 'phone segmentation');
  const words = segments(o.wrdPath ?? companionFile(audioPath, 'WRD'), 'word segmentation');
  let title = o.title;
  if (title === undefined) {
    const txt = companionFile(audioPath, 'TXT');
    const sentence = txt && existsSync(txt) ? parseTranscript(readFileOrThrow(txt).toString('utf8'), txt).text : '';
    title = `${basename(dirname(audioPath))}/${basename(audioPath, extname(audioPath))}${sentence ? `: "${sentence}"` : ''}`;
  }
  const png = await spectrogramPng(audio, { phones, words }, { ...o.spectrogram, title });
  writeFileAtomic(outPath, png);
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  return { path: outPath, width: view.readUInt32BE(16), height: view.readUInt32BE(20) };
}
