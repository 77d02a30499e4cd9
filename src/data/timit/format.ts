/**
 * TIMIT's own file formats, shared by the corpus reader and the built-in synthesizer:
 * NIST SPHERE audio (.WAV in TIMIT, plain PCM), RIFF WAV, and the time-aligned transcription files
 * .PHN / .WRD (`start end label` in samples) and .TXT (`start end sentence`).
 */
import { invalidFile, MohaqError } from '../../util/errors.js';

export interface Audio {
  sampleRate: number;
  /** Mono 16-bit PCM samples (multi-channel input keeps channel 0). */
  samples: Int16Array;
}

export interface Segment {
  start: number;
  end: number;
  label: string;
}

const SPHERE_HEADER_BYTES = 1024;

type SphereValue = string | number;

function parseSphereHeader(buf: Uint8Array, file: string): { size: number; fields: Map<string, SphereValue> } {
  const head = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, 4096)).toString('latin1');
  if (!head.startsWith('NIST_1A')) throw invalidFile(file, 'not a NIST SPHERE file (expected "NIST_1A" at byte 0)');
  const lines = head.split('\n');
  const size = Number(lines[1]?.trim());
  if (!Number.isInteger(size) || size < 16 || size > buf.length) throw invalidFile(file, `SPHERE header size ${JSON.stringify(lines[1]?.trim())} is not a valid byte count`);
  const fields = new Map<string, SphereValue>();
  let ended = false;
  for (const raw of head.slice(0, size).split('\n').slice(2)) {
    const line = raw.trim();
    if (line === 'end_head') {
      ended = true;
      break;
    }
    if (!line || line.startsWith(';')) continue;
    const m = /^(\S+)\s+-(i|r|s\d+)\s+(.*)$/.exec(line);
    if (!m) throw invalidFile(file, `malformed SPHERE header line ${JSON.stringify(line)}`);
    const [, name, type, value] = m as unknown as [string, string, string, string];
    fields.set(name, type === 'i' || type === 'r' ? Number(value) : type.startsWith('s') ? value.slice(0, Number(type.slice(1))) : value);
  }
  if (!ended) throw invalidFile(file, 'SPHERE header has no end_head line');
  return { size, fields };
}

export function readSphere(buf: Uint8Array, file = 'SPHERE file'): Audio {
  const { size, fields } = parseSphereHeader(buf, file);
  const coding = String(fields.get('sample_coding') ?? 'pcm');
  if (coding !== 'pcm') {
    throw new MohaqError('UNSUPPORTED', `${file}: SPHERE sample_coding ${JSON.stringify(coding)} is not supported (only plain PCM; decompress shorten-coded TIMIT with sph2pipe first)`);
  }
  const nBytes = Number(fields.get('sample_n_bytes') ?? 2);
  const channels = Number(fields.get('channel_count') ?? 1);
  const rate = Number(fields.get('sample_rate'));
  if (!Number.isFinite(rate) || rate <= 0) throw invalidFile(file, 'SPHERE header has no valid sample_rate');
  if (nBytes !== 2 && nBytes !== 1) throw invalidFile(file, `SPHERE sample_n_bytes ${nBytes} is not supported (expected 1 or 2)`);
  const order = String(fields.get('sample_byte_format') ?? '01');
  const bigEndian = order === '10';
  const available = Math.floor((buf.length - size) / (nBytes * channels));
  const declared = fields.has('sample_count') ? Number(fields.get('sample_count')) : available;
  if (declared > available) throw invalidFile(file, `truncated: header declares ${declared} samples but only ${available} are present`);
  const samples = new Int16Array(declared);
  const view = new DataView(buf.buffer, buf.byteOffset + size, buf.length - size);
  for (let i = 0; i < declared; i++) {
    const off = i * nBytes * channels;
    samples[i] = nBytes === 2 ? view.getInt16(off, !bigEndian) : (view.getUint8(off) - 128) << 8;
  }
  return { sampleRate: rate, samples };
}

/** NIST SPHERE with TIMIT's header fields; `extra` adds fields such as speaker_id or utterance_id. */
export function writeSphere(audio: Audio, extra: Record<string, string | number> = {}): Uint8Array {
  let min = 0;
  let max = 0;
  for (const s of audio.samples) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const fields: Array<[string, string | number]> = [
    ['database_id', 'TIMIT'],
    ['database_version', '1.0'],
    ...Object.entries(extra),
    ['channel_count', 1],
    ['sample_count', audio.samples.length],
    ['sample_rate', audio.sampleRate],
    ['sample_min', min],
    ['sample_max', max],
    ['sample_n_bytes', 2],
    ['sample_byte_format', '01'],
    ['sample_sig_bits', 16],
  ];
  let text = `NIST_1A\n   ${SPHERE_HEADER_BYTES}\n`;
  for (const [k, v] of fields) text += typeof v === 'number' ? `${k} -i ${v}\n` : `${k} -s${v.length} ${v}\n`;
  text += 'end_head\n';
  if (text.length > SPHERE_HEADER_BYTES) throw new MohaqError('INVALID_ARGUMENT', 'SPHERE header fields do not fit in 1024 bytes');
  const out = new Uint8Array(SPHERE_HEADER_BYTES + 2 * audio.samples.length);
  out.fill(0x20, 0, SPHERE_HEADER_BYTES);
  out.set(Buffer.from(text, 'latin1'), 0);
  const view = new DataView(out.buffer, SPHERE_HEADER_BYTES);
  for (let i = 0; i < audio.samples.length; i++) view.setInt16(2 * i, audio.samples[i]!, true);
  return out;
}

/** RIFF/WAVE: PCM 8/16/24/32-bit or IEEE float 32-bit, any channel count (channel 0 is kept). */
export function readRiffWav(buf: Uint8Array, file = 'WAV file'): Audio {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (off: number) => String.fromCharCode(buf[off]!, buf[off + 1]!, buf[off + 2]!, buf[off + 3]!);
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw invalidFile(file, 'not a RIFF WAVE file (expected "RIFF....WAVE")');
  let off = 12;
  let format = 0;
  let channels = 0;
  let rate = 0;
  let bits = 0;
  let data: { off: number; len: number } | null = null;
  while (off + 8 <= buf.length) {
    const id = tag(off);
    const len = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      rate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      if (format === 0xfffe && len >= 26) format = view.getUint16(body + 24, true); // WAVE_FORMAT_EXTENSIBLE subformat
    } else if (id === 'data') {
      data = { off: body, len: Math.min(len, buf.length - body) };
      if (len > buf.length - body) throw invalidFile(file, `truncated: data chunk declares ${len} bytes but only ${buf.length - body} are present`);
    }
    off = body + len + (len & 1);
  }
  if (!channels || !rate) throw invalidFile(file, 'no fmt chunk');
  if (!data) throw invalidFile(file, 'no data chunk');
  if (!((format === 1 && [8, 16, 24, 32].includes(bits)) || (format === 3 && bits === 32))) {
    throw new MohaqError('UNSUPPORTED', `${file}: WAV format ${format} with ${bits} bits per sample is not supported (PCM 8/16/24/32 or float 32)`);
  }
  const bytes = bits / 8;
  const n = Math.floor(data.len / (bytes * channels));
  const samples = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const p = data.off + i * bytes * channels;
    let v: number;
    if (format === 3) v = Math.round(Math.max(-1, Math.min(1, view.getFloat32(p, true))) * 32767);
    else if (bits === 8) v = (view.getUint8(p) - 128) << 8;
    else if (bits === 16) v = view.getInt16(p, true);
    else if (bits === 24) v = ((view.getUint8(p + 2) << 24) | (view.getUint8(p + 1) << 16) | (view.getUint8(p) << 8)) >> 16;
    else v = view.getInt32(p, true) >> 16;
    samples[i] = v;
  }
  return { sampleRate: rate, samples };
}

export function writeRiffWav(audio: Audio): Uint8Array {
  const n = audio.samples.length;
  const out = new Uint8Array(44 + 2 * n);
  const view = new DataView(out.buffer);
  const put = (off: number, s: string) => {
    for (let i = 0; i < 4; i++) out[off + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + 2 * n, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, 2 * n, true);
  for (let i = 0; i < n; i++) view.setInt16(44 + 2 * i, audio.samples[i]!, true);
  return out;
}

/** Either SPHERE or RIFF, by magic bytes (TIMIT copies exist in both). */
export function readAudio(buf: Uint8Array, file = 'audio file'): Audio {
  const magic = Buffer.from(buf.buffer, buf.byteOffset, Math.min(7, buf.length)).toString('latin1');
  if (magic.startsWith('NIST_1A')) return readSphere(buf, file);
  if (magic.startsWith('RIFF')) return readRiffWav(buf, file);
  throw invalidFile(file, 'unknown audio format (expected NIST SPHERE "NIST_1A" or RIFF WAVE)');
}

/** Parses .PHN / .WRD: one `start end label` per line, in samples. */
export function parseSegments(text: string, file = 'segment file'): Segment[] {
  const out: Segment[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^(\d+)\s+(\d+)\s+(\S+)$/.exec(line);
    if (!m) throw invalidFile(file, `line ${i + 1}: expected "start end label" but found ${JSON.stringify(line)}`);
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (end < start) throw invalidFile(file, `line ${i + 1}: end ${end} is before start ${start}`);
    out.push({ start, end, label: m[3]! });
  });
  return out;
}

export function formatSegments(segments: readonly Segment[]): string {
  return segments.map((s) => `${s.start} ${s.end} ${s.label}\n`).join('');
}

/** Parses .TXT: `start end sentence`. */
export function parseTranscript(text: string, file = 'transcript file'): { start: number; end: number; text: string } {
  const m = /^\s*(\d+)\s+(\d+)\s+(.*?)\s*$/s.exec(text);
  if (!m) throw invalidFile(file, `expected "start end sentence" but found ${JSON.stringify(text.slice(0, 60))}`);
  return { start: Number(m[1]), end: Number(m[2]), text: m[3]! };
}

export function formatTranscript(start: number, end: number, sentence: string): string {
  return `${start} ${end} ${sentence}\n`;
}
