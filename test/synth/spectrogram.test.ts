import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync, crc32 } from 'node:zlib';
import { encodePng, spectrogramImage, spectrogramSvg } from '../../src/data/synth/spectrogram.js';

test('encodePng: signature, IHDR, CRCs and the pixels back through inflate', () => {
  const pixels = Uint8Array.from({ length: 5 * 3 }, (_, i) => i * 17);
  const png = Buffer.from(encodePng(5, 3, pixels));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let off = 8; off < png.length; ) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    assert.equal(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)) >>> 0, `${type} CRC`);
    chunks.push({ type, data });
    off += 12 + len;
  }
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0]!.data;
  assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]], [5, 3, 8, 0]);
  const raw = inflateSync(chunks[1]!.data);
  for (let y = 0; y < 3; y++) {
    assert.equal(raw[y * 6], 0); // filter type none
    assert.deepEqual([...raw.subarray(y * 6 + 1, y * 6 + 6)], [...pixels.subarray(y * 5, y * 5 + 5)]);
  }
  assert.throws(() => encodePng(5, 3, new Uint8Array(4)), { message: 'Expected 15 bytes (5x3x1) for pixels but received a Uint8Array of 4' });
});

test('spectrogramImage: a 2 kHz tone is darkest in the row of 2 kHz', () => {
  const samples = Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 2000 * i) / 16000)));
  const img = spectrogramImage({ sampleRate: 16000, samples }, { heightPx: 161, windowMs: 20 });
  assert.equal(img.width, 250); // 0.5 s at 2 ms per column
  const column = 100;
  let darkest = 0;
  for (let r = 0; r < img.height; r++) if (img.pixels[r * img.width + column]! < img.pixels[darkest * img.width + column]!) darkest = r;
  // Row 0 is 8 kHz, the last row 0 Hz: 2 kHz is 3/4 of the way down.
  assert.equal(darkest, 120);
});

test('spectrogramSvg: boundaries and labels of the phones and words in range', () => {
  const samples = new Int16Array(16000);
  const svg = spectrogramSvg(
    { sampleRate: 16000, samples },
    { phones: [{ start: 0, end: 8000, label: 'h#' }, { start: 8000, end: 16000, label: 'ax-h' }], words: [{ start: 8000, end: 16000, label: 'a&b' }] },
    { title: 'x<y', toSec: 1 },
  );
  assert.match(svg, /^<svg /);
  assert.match(svg, />h#</);
  assert.match(svg, />ax-h</);
  assert.match(svg, />a&amp;b</);
  assert.match(svg, />x&lt;y</);
  assert.equal((svg.match(/stroke="#d62728"/g) ?? []).length, 2);
});
