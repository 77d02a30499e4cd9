/**
 * WASM SIMD versions of the delta networks' sparse row kernels (`../delta.ts` documents them and holds
 * the reference loops these must match bit for bit).
 *
 * Loop order: rows, then column blocks, then the row's transmitted entries. A block's accumulators
 * stay in registers while every transmitted weight row streams through, so the accumulator is read
 * and written once per block, and each transmitted element costs one contiguous load of the block's
 * weights. Skipped elements cost nothing: their weight rows are never read.
 *
 * - i8: 32 columns per block in 8 i32x4 accumulators. Transmitted elements go two at a time: their
 *   weight rows are interleaved byte by byte, sign-extended, and `i32x4.dot_i16x8_s` against the
 *   splat of both deltas adds both products per column (1.8x faster than one element at a time). A
 *   last odd element: weights sign-extended 8 at a time (`v128.load8x8_s`) times the delta splat
 *   (`i32x4.extmul_{low,high}_i16x8_s`). All exact in i32, where the order of the sums does not
 *   matter. Then blocks of 8, then single columns.
 * - f64: 16 columns per block in 8 f64x2 accumulators; 2 f32 weights are loaded and promoted
 *   (`f64x2.promote_low_f32x4`), multiplied by the delta splat and added (mul, then add: no fusion,
 *   as the reference). Then blocks of 2, then single columns.
 * The step kernels add the row's output: two columns at a time in f64x2 (accumulator times scale,
 * plus bias, plus the previous output), demoted to f32 once.
 */

const get = (name: string) => `(local.get $${name})`;
const set = (name: string, v: string) => `(local.set $${name} ${v})`;
const loadI32 = (base: string, i: string) => `(i32.load (i32.add ${get(base)} (i32.shl ${i} (i32.const 2))))`;
/** Byte address of element `i` (a local) of an array at local `base` with elements of 2^shift bytes. */
const elem = (base: string, i: string, shift: number) => `(i32.add ${get(base)} (i32.shl ${get(i)} (i32.const ${shift})))`;

type Kind = 'i8' | 'f64';

/**
 * i8, 32-column blocks: entries two at a time. The weights of both entries are interleaved byte by
 * byte (w_p[c], w_q[c], ...), sign-extended to i16 pairs, and `i32x4.dot_i16x8_s` with the splat of
 * (d_p, d_q) adds w_p[c] d_p + w_q[c] d_q per column: exact, and i32 sums do not depend on their order.
 * Leaves $pt at the last entry when their number is odd (the single-entry loop that follows takes it).
 */
function pairedEntries(): string {
  const wRow = (p: string) => `(i32.add ${get('w')} (i32.add (i32.mul ${loadI32('index', p)} ${get('n')}) ${get('j')}))`;
  const lo = '0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23';
  const hi = '8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31';
  const dot = (acc: number, v: string) => set(`a${acc}`, `(i32x4.add ${get(`a${acc}`)} (i32x4.dot_i16x8_s ${v} ${get('d')}))`);
  const half = (h: number) => `
          ${set('v', `(v128.load offset=${16 * h} ${get('wp')})`)}
          ${set('v2', `(v128.load offset=${16 * h} ${get('wq')})`)}
          ${set('x', `(i8x16.shuffle ${lo} ${get('v')} ${get('v2')})`)}
          ${dot(4 * h, `(i16x8.extend_low_i8x16_s ${get('x')})`)}
          ${dot(4 * h + 1, `(i16x8.extend_high_i8x16_s ${get('x')})`)}
          ${set('x', `(i8x16.shuffle ${hi} ${get('v')} ${get('v2')})`)}
          ${dot(4 * h + 2, `(i16x8.extend_low_i8x16_s ${get('x')})`)}
          ${dot(4 * h + 3, `(i16x8.extend_high_i8x16_s ${get('x')})`)}`;
  return `
        ${set('p', get('p0'))}
        (block $pd (loop $pl
          (br_if $pd (i32.ge_u (i32.add ${get('p')} (i32.const 1)) ${get('p1')}))
          ${set('d', `(i32x4.splat (i32.or (i32.and ${loadI32('delta', get('p'))} (i32.const 0xffff)) (i32.shl ${loadI32('delta', `(i32.add ${get('p')} (i32.const 1))`)} (i32.const 16))))`)}
          ${set('wp', wRow(get('p')))}
          ${set('wq', wRow(`(i32.add ${get('p')} (i32.const 1))`))}
          ${half(0)}
          ${half(1)}
          ${set('p', `(i32.add ${get('p')} (i32.const 2))`)}
          (br $pl)))
        ${set('pt', get('p'))}`;
}

/** Loop over the row's entries p in [p0, p1): sets $d (the delta splat) and $wp (weights of entry p at column j). */
function entriesLoop(kind: Kind, label: string, body: string, from = 'p0'): string {
  const wRow = `(i32.mul ${loadI32('index', get('p'))} ${get('n')})`;
  const wp = kind === 'i8' ? `(i32.add ${get('w')} (i32.add ${wRow} ${get('j')}))` : `(i32.add ${get('w')} (i32.shl (i32.add ${wRow} ${get('j')}) (i32.const 2)))`;
  const splat = kind === 'i8' ? `(i16x8.splat ${loadI32('delta', get('p'))})` : `(f64x2.splat (f64.load ${elem('delta', 'p', 3)}))`;
  return `
        ${set('p', get(from))}
        (block $${label}d (loop $${label}l
          (br_if $${label}d (i32.ge_u ${get('p')} ${get('p1')}))
          ${set('d', splat)}
          ${set('wp', wp)}
          ${body}
          ${set('p', `(i32.add ${get('p')} (i32.const 1))`)}
          (br $${label}l)))`;
}

/** Column blocks of `width` columns while they fit in n: `accs` v128 accumulators loaded from the row, updated by `entry`, stored. */
function blockLoop(kind: Kind, label: string, width: number, accs: number, entry: string): string {
  const shift = kind === 'i8' ? 2 : 3;
  const addr = (m: number) => `(i32.add ${elem('row', 'j', shift)} (i32.const ${m * 16}))`;
  const loads = Array.from({ length: accs }, (_, m) => set(`a${m}`, `(v128.load ${addr(m)})`)).join(' ');
  const stores = Array.from({ length: accs }, (_, m) => `(v128.store ${addr(m)} ${get(`a${m}`)})`).join(' ');
  return `
      (block $${label}d (loop $${label}l
        (br_if $${label}d (i32.gt_u (i32.add ${get('j')} (i32.const ${width})) ${get('n')}))
        ${loads}
        ${entry}
        ${stores}
        ${set('j', `(i32.add ${get('j')} (i32.const ${width}))`)}
        (br $${label}l)))`;
}

/** The accumulation of one row into the accumulator row at $row: column blocks, then single columns. */
function accumulateRow(kind: Kind): string {
  if (kind === 'i8') {
    const madd = (lo: number, offset: number) => `
          ${set('v', `(v128.load8x8_s offset=${offset} ${get('wp')})`)}
          ${set(`a${lo}`, `(i32x4.add ${get(`a${lo}`)} (i32x4.extmul_low_i16x8_s ${get('v')} ${get('d')}))`)}
          ${set(`a${lo + 1}`, `(i32x4.add ${get(`a${lo + 1}`)} (i32x4.extmul_high_i16x8_s ${get('v')} ${get('d')}))`)}`;
    const scalar = `(i32.add ${get('s')} (i32.mul ${loadI32('delta', get('p'))} (i32.load8_s (i32.add ${get('w')} (i32.add (i32.mul ${loadI32('index', get('p'))} ${get('n')}) ${get('j')})))))`;
    return (
      blockLoop(kind, 'b32', 32, 8, pairedEntries() + entriesLoop(kind, 'e32', [0, 8, 16, 24].map((off, m) => madd(2 * m, off)).join(''), 'pt')) +
      blockLoop(kind, 'b8', 8, 2, entriesLoop(kind, 'e8', madd(0, 0))) +
      scalarColumns('i32', 2, scalar)
    );
  }
  const madd = (m: number) => set(`a${m}`, `(f64x2.add ${get(`a${m}`)} (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero offset=${m * 8} ${get('wp')})) ${get('d')}))`);
  const w = `(f32.load (i32.add ${get('w')} (i32.shl (i32.add (i32.mul ${loadI32('index', get('p'))} ${get('n')}) ${get('j')}) (i32.const 2))))`;
  const scalar = `(f64.add ${get('s')} (f64.mul (f64.load ${elem('delta', 'p', 3)}) (f64.promote_f32 ${w})))`;
  return (
    blockLoop(kind, 'b16', 16, 8, entriesLoop(kind, 'e16', Array.from({ length: 8 }, (_, m) => madd(m)).join('\n          '))) +
    blockLoop(kind, 'b2', 2, 1, entriesLoop(kind, 'e2', madd(0))) +
    scalarColumns('f64', 3, scalar)
  );
}

/** The remaining columns one at a time: $s = acc[j], then `add` (in terms of $s, $p) over the entries. */
function scalarColumns(type: 'i32' | 'f64', shift: number, add: string): string {
  return `
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u ${get('j')} ${get('n')}))
        ${set('s', `(${type}.load ${elem('row', 'j', shift)})`)}
        ${set('p', get('p0'))}
        (block $esd (loop $esl
          (br_if $esd (i32.ge_u ${get('p')} ${get('p1')}))
          ${set('s', add)}
          ${set('p', `(i32.add ${get('p')} (i32.const 1))`)}
          (br $esl)))
        (${type}.store ${elem('row', 'j', shift)} ${get('s')})
        ${set('j', `(i32.add ${get('j')} (i32.const 1))`)}
        (br $sl)))`;
}

/** The output of the row at $row into the output row at $yp (step kernels; see ../delta.ts). */
function outputRow(kind: Kind): string {
  const m2 = kind === 'i8' ? `(f64x2.convert_low_i32x4_s (v128.load64_zero ${elem('row', 'j', 2)}))` : `(v128.load ${elem('row', 'j', 3)})`;
  const m1 = kind === 'i8' ? `(f64.convert_i32_s (i32.load ${elem('row', 'j', 2)}))` : `(f64.load ${elem('row', 'j', 3)})`;
  return `
      ${set('j', '(i32.const 0)')}
      (block $od (loop $ol
        (br_if $od (i32.gt_u (i32.add ${get('j')} (i32.const 2)) ${get('n')}))
        ${set('o', `(f64x2.mul ${m2} (v128.load ${elem('scale', 'j', 3)}))`)}
        (if ${get('bias')} (then ${set('o', `(f64x2.add ${get('o')} (f64x2.promote_low_f32x4 (v128.load64_zero ${elem('bias', 'j', 2)})))`)}))
        (if ${get('accumulate')} (then ${set('o', `(f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero ${elem('yp', 'j', 2)})) ${get('o')})`)}))
        (v128.store64_lane 0 ${elem('yp', 'j', 2)} (f32x4.demote_f64x2_zero ${get('o')}))
        ${set('j', `(i32.add ${get('j')} (i32.const 2))`)}
        (br $ol)))
      (if (i32.lt_u ${get('j')} ${get('n')}) (then
        ${set('o1', `(f64.mul ${m1} (f64.load ${elem('scale', 'j', 3)}))`)}
        (if ${get('bias')} (then ${set('o1', `(f64.add ${get('o1')} (f64.promote_f32 (f32.load ${elem('bias', 'j', 2)})))`)}))
        (if ${get('accumulate')} (then ${set('o1', `(f64.add (f64.promote_f32 (f32.load ${elem('yp', 'j', 2)})) ${get('o1')})`)}))
        (f32.store ${elem('yp', 'j', 2)} (f32.demote_f64 ${get('o1')}))))`;
}

/**
 * One kernel: `delta_product_{i8,f64}` (acc row r at acc + r*ldacc) or `delta_step_{i8,f64}` (acc row
 * slot[r] at acc + slot[r]*n, then the output row yrow[r]; bias 0 means none).
 */
function kernel(kind: Kind, step: boolean): string {
  const shift = kind === 'i8' ? 2 : 3;
  const params = step
    ? '(param $w i32) (param $n i32) (param $rows i32) (param $start i32) (param $index i32) (param $delta i32) (param $slot i32) (param $acc i32) (param $scale i32) (param $bias i32) (param $y i32) (param $yrow i32) (param $ldy i32) (param $accumulate i32)'
    : '(param $w i32) (param $n i32) (param $rows i32) (param $start i32) (param $index i32) (param $delta i32) (param $acc i32) (param $ldacc i32)';
  const rowIndex = step ? loadI32('slot', get('r')) : get('r');
  const ld = step ? get('n') : get('ldacc');
  const locals = [
    '(local $r i32) (local $p i32) (local $p0 i32) (local $p1 i32) (local $pt i32) (local $j i32) (local $row i32) (local $wp i32) (local $wq i32) (local $d v128) (local $v v128) (local $v2 v128) (local $x v128)',
    `(local $s ${kind === 'i8' ? 'i32' : 'f64'})`,
    Array.from({ length: 8 }, (_, m) => `(local $a${m} v128)`).join(' '),
    step ? '(local $yp i32) (local $o v128) (local $o1 f64)' : '',
  ].join(' ');
  return `
  (func (export "delta_${step ? 'step' : 'product'}_${kind}") ${params}
    ${locals}
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u ${get('r')} ${get('rows')}))
      ${set('p0', loadI32('start', get('r')))}
      ${set('p1', loadI32('start', `(i32.add ${get('r')} (i32.const 1))`))}
      ${set('row', `(i32.add ${get('acc')} (i32.shl (i32.mul ${rowIndex} ${ld}) (i32.const ${shift})))`)}
      ${set('j', '(i32.const 0)')}
      ${accumulateRow(kind)}
      ${step ? `${set('yp', `(i32.add ${get('y')} (i32.shl (i32.mul ${loadI32('yrow', get('r'))} ${get('ldy')}) (i32.const 2)))`)} ${outputRow(kind)}` : ''}
      ${set('r', `(i32.add ${get('r')} (i32.const 1))`)}
      (br $rl))))`;
}

/** Every delta kernel, for the module text of `wat.ts`. */
export function deltaWat(): string {
  return kernel('i8', false) + kernel('f64', false) + kernel('i8', true) + kernel('f64', true);
}
