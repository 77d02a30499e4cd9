/**
 * Spectrogram pictures for listening checks: a wide-band STFT (short window, so formants show as dark
 * bands and glottal pulses as vertical striations) drawn in grey, with the phone and word boundaries of
 * the .PHN / .WRD files over it and their labels underneath. Works for any 16-bit audio (TIMIT or the
 * synthetic corpus). The raster is encoded as PNG here; the annotated picture is an SVG around it,
 * rendered to PNG by resvg.
 */
import { createRequire } from 'node:module';
import { deflateSync, crc32 } from 'node:zlib';
import { invalidParameter } from '../../util/errors.js';
import type { Audio, Segment } from '../timit/format.js';

interface RealFft {
  createComplexArray(): number[];
  realTransform(out: number[], data: ArrayLike<number>): void;
}
// fft.js is CommonJS.
const FFT = createRequire(import.meta.url)('fft.js') as new (size: number) => RealFft;

export interface SpectrogramOptions {
  /** Analysis window (Hamming), ms. @default 6 (wide-band) */
  windowMs?: number;
  /** Hop between columns, ms. @default 2 */
  hopMs?: number;
  /** Highest frequency shown, Hz. @default half the sample rate */
  maxHz?: number;
  /** Grey scale spans this many dB below the loudest bin. @default 70 */
  rangeDb?: number;
  /** Height of the spectrogram in pixels. @default 256 */
  heightPx?: number;
  /** Time span to draw, seconds. @default the whole signal */
  fromSec?: number;
  toSec?: number;
  /** Caption above the picture. */
  title?: string;
}

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major, top row = highest frequency; 0 = black. */
  pixels: Uint8Array;
}

/** The STFT magnitude as a grey image: one column per hop, dark = loud. */
export function spectrogramImage(audio: Audio, opts: SpectrogramOptions = {}): GrayImage {
  const fs = audio.sampleRate;
  const win = Math.max(8, Math.round(((opts.windowMs ?? 6) * fs) / 1000));
  const hop = Math.max(1, Math.round(((opts.hopMs ?? 2) * fs) / 1000));
  const maxHz = Math.min(fs / 2, opts.maxHz ?? fs / 2);
  const height = opts.heightPx ?? 256;
  const rangeDb = opts.rangeDb ?? 70;
  if (!(rangeDb > 0)) throw invalidParameter('rangeDb', 'a positive number of dB', rangeDb);
  const from = Math.max(0, Math.round((opts.fromSec ?? 0) * fs));
  const to = Math.min(audio.samples.length, opts.toSec === undefined ? audio.samples.length : Math.round(opts.toSec * fs));
  if (to <= from) throw invalidParameter('toSec', `a time after fromSec within the ${(audio.samples.length / fs).toFixed(2)} s signal`, opts.toSec);
  let nfft = 256;
  while (nfft < 2 * win) nfft *= 2;
  const fft = new FFT(nfft);
  const frame = new Float64Array(nfft);
  const spectrum = fft.createComplexArray();
  const window = Float64Array.from({ length: win }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (win - 1)));
  const width = Math.max(1, Math.floor((to - from) / hop));
  const bins = Math.floor((maxHz / fs) * nfft);
  const db = new Float64Array(width * height);
  let maxDb = -Infinity;
  for (let c = 0; c < width; c++) {
    const centre = from + c * hop;
    frame.fill(0);
    let prev = 0;
    for (let i = 0; i < win; i++) {
      const n = centre - (win >> 1) + i;
      const v = n >= 0 && n < audio.samples.length ? audio.samples[n]! : 0;
      // Pre-emphasis so that the weaker upper formants are visible too.
      frame[i] = (v - 0.95 * prev) * window[i]!;
      prev = v;
    }
    fft.realTransform(spectrum, frame);
    for (let r = 0; r < height; r++) {
      const bin = Math.min(bins, Math.round(((height - 1 - r) / (height - 1)) * bins));
      const re = spectrum[2 * bin]!;
      const im = spectrum[2 * bin + 1]!;
      const v = 10 * Math.log10(re * re + im * im + 1e-9);
      db[r * width + c] = v;
      if (v > maxDb) maxDb = v;
    }
  }
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const x = Math.min(1, Math.max(0, (maxDb - db[i]!) / rangeDb));
    pixels[i] = Math.round(255 * Math.pow(x, 0.8));
  }
  return { width, height, pixels };
}

/** A PNG file (8-bit grey, RGB or RGBA; no interlace; filter 0 on every row). */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: 1 | 3 | 4 = 1): Uint8Array {
  if (pixels.length !== width * height * channels) throw invalidParameter('pixels', `${width * height * channels} bytes (${width}x${height}x${channels})`, pixels);
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The annotated picture as SVG: spectrogram, frequency axis (kHz), time axis (s), phone boundaries over
 * the spectrogram with labels below, and word labels below those.
 */
export function spectrogramSvg(audio: Audio, annotations: { phones?: readonly Segment[]; words?: readonly Segment[] } = {}, opts: SpectrogramOptions = {}): string {
  const img = spectrogramImage(audio, opts);
  const fs = audio.sampleRate;
  const hop = Math.max(1, Math.round(((opts.hopMs ?? 2) * fs) / 1000));
  const from = Math.max(0, Math.round((opts.fromSec ?? 0) * fs));
  const to = from + img.width * hop;
  const maxHz = Math.min(fs / 2, opts.maxHz ?? fs / 2);
  const left = 48;
  const top = opts.title ? 28 : 10;
  const phoneBand = 34;
  const wordBand = 20;
  const axis = 30;
  const W = left + img.width + 12;
  const H = top + img.height + phoneBand + wordBand + axis;
  const x = (sample: number) => left + ((sample - from) / hop);
  const png = Buffer.from(encodePng(img.width, img.height, img.pixels)).toString('base64');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<image x="${left}" y="${top}" width="${img.width}" height="${img.height}" preserveAspectRatio="none" href="data:image/png;base64,${png}"/>`,
    `<rect x="${left}" y="${top}" width="${img.width}" height="${img.height}" fill="none" stroke="#333" stroke-width="1"/>`,
  ];
  if (opts.title) parts.push(`<text x="${left}" y="${top - 9}" font-size="13" fill="#111">${escapeXml(opts.title)}</text>`);
  for (let k = 0; k <= Math.floor(maxHz / 1000); k++) {
    const y = top + img.height - (k * 1000 * (img.height - 1)) / maxHz;
    parts.push(`<line x1="${left - 4}" y1="${y.toFixed(1)}" x2="${left}" y2="${y.toFixed(1)}" stroke="#333"/>`);
    parts.push(`<text x="${left - 7}" y="${(y + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#333">${k}</text>`);
  }
  parts.push(`<text x="12" y="${top + img.height / 2}" font-size="10" fill="#333" transform="rotate(-90 12 ${top + img.height / 2})" text-anchor="middle">kHz</text>`);
  const bandTop = top + img.height;
  const visible = (s: Segment) => s.end > from && s.start < to;
  (annotations.phones ?? []).filter(visible).forEach((s, i) => {
    const a = Math.max(left, x(s.start));
    const b = Math.min(left + img.width, x(s.end));
    parts.push(`<line x1="${a.toFixed(1)}" y1="${top}" x2="${a.toFixed(1)}" y2="${bandTop + phoneBand}" stroke="#d62728" stroke-opacity="0.55" stroke-width="1"/>`);
    // Alternate two rows so that labels of short neighbouring phones do not overlap.
    const y = bandTop + (i % 2 === 0 ? 14 : 28);
    parts.push(`<text x="${((a + b) / 2).toFixed(1)}" y="${y}" font-size="11" text-anchor="middle" fill="#b01515">${escapeXml(s.label)}</text>`);
  });
  (annotations.words ?? []).filter(visible).forEach((s) => {
    const a = Math.max(left, x(s.start));
    const b = Math.min(left + img.width, x(s.end));
    const y = bandTop + phoneBand;
    parts.push(`<line x1="${a.toFixed(1)}" y1="${y}" x2="${a.toFixed(1)}" y2="${y + wordBand}" stroke="#1f4e99"/>`);
    parts.push(`<line x1="${b.toFixed(1)}" y1="${y}" x2="${b.toFixed(1)}" y2="${y + wordBand}" stroke="#1f4e99"/>`);
    parts.push(`<text x="${((a + b) / 2).toFixed(1)}" y="${y + 14}" font-size="12" text-anchor="middle" fill="#1f4e99">${escapeXml(s.label)}</text>`);
  });
  const axisY = bandTop + phoneBand + wordBand;
  const seconds = (to - from) / fs;
  const step = seconds > 4 ? 0.5 : seconds > 1.5 ? 0.25 : 0.1;
  for (let t = Math.ceil(from / fs / step) * step; t <= to / fs + 1e-9; t += step) {
    const px = x(t * fs);
    parts.push(`<line x1="${px.toFixed(1)}" y1="${axisY}" x2="${px.toFixed(1)}" y2="${axisY + 4}" stroke="#333"/>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${axisY + 15}" font-size="10" text-anchor="middle" fill="#333">${t.toFixed(step < 0.25 ? 1 : 2)}</text>`);
  }
  parts.push(`<text x="${left + img.width}" y="${axisY + 27}" font-size="10" text-anchor="end" fill="#333">time (s)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** The annotated spectrogram as PNG bytes (SVG rendered by resvg with the system's fonts). */
export async function spectrogramPng(audio: Audio, annotations: { phones?: readonly Segment[]; words?: readonly Segment[] } = {}, opts: SpectrogramOptions = {}): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const svg = spectrogramSvg(audio, annotations, opts);
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
