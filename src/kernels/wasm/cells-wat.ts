/**
 * WASM SIMD versions of the cells' element-wise kernels (`../cells.ts` documents each one and holds the
 * reference loops these must match). Each kernel body is written once as a function of a `Lane` mode
 * and emitted twice: 4 units at a time, then the tail one unit at a time through the same vector code
 * on a splat (so both compute the same thing). Variants (fixed-point rounding on or off, GRU
 * convention, SRU skip mode) are separate generated functions, so inner loops carry no flags.
 *
 * The host passes real buffers for every optional operand: a zero buffer for an absent previous state,
 * a buffer of ones for an absent dropout mask, a scratch buffer for an absent gradient output.
 */

import { expLocals, fixedPointExpr, sigmoidExpr } from './math-wat.js';

interface Lane {
  /** bytes per step of j */
  step: number;
  ld(addr: string): string;
  st(addr: string, value: string): string;
}

const VEC: Lane = {
  step: 16,
  ld: (a) => `(v128.load ${a})`,
  st: (a, v) => `(v128.store ${a} ${v})`,
};

const ONE: Lane = {
  step: 4,
  ld: (a) => `(f32x4.splat (f32.load ${a}))`,
  st: (a, v) => `(f32.store ${a} (f32x4.extract_lane 0 ${v}))`,
};

const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const sub = (a: string, b: string) => `(f32x4.sub ${a} ${b})`;
const mul = (...xs: string[]) => xs.reduce((acc, x) => `(f32x4.mul ${acc} ${x})`);
const ONE4 = '(v128.const f32x4 1 1 1 1)';
const ZERO4 = '(v128.const f32x4 0 0 0 0)';
/** Inline (a call per vector costs as much as the arithmetic); needs `expLocals()` in the function. */
const sig = (x: string) => sigmoidExpr(x);
const tanh = (x: string) => `(call $tanh4 ${x})`;
const relu = (x: string) => `(f32x4.max ${x} ${ZERO4})`;
const get = (name: string) => `(local.get $${name})`;
const set = (name: string, v: string) => `(local.set $${name} ${v})`;
/** address of unit j in a row starting at pointer local `base` */
const at = (base: string) => `(i32.add (local.get $${base}) (local.get $jb))`;
/** 1 - x */
const oneMinus = (x: string) => sub(ONE4, x);

const FX_PARAMS = '(param $fsig f32) (param $fsigi f32) (param $fcand f32) (param $fcandi f32) (param $fstate f32) (param $fstatei f32) (param $fout f32) (param $fouti f32)';
/** 16-bit fixed point, inline (a call per vector costs more than the rounding itself). */
const fix = (x: string, kind: 'sig' | 'cand' | 'state' | 'out') => fixedPointExpr(x, `(f32x4.splat (local.get $f${kind}))`, `(f32x4.splat (local.get $f${kind}i))`);

/** The j loop over H units of one row: vector part, then the scalar tail. */
function unitLoop(body: (L: Lane) => string): string {
  return `
      (local.set $jb (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.gt_u (i32.add (local.get $jb) (i32.const 16)) (local.get $Hb)))
        ${body(VEC)}
        (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $jb) (local.get $Hb)))
        ${body(ONE)}
        (local.set $jb (i32.add (local.get $jb) (i32.const 4)))
        (br $sl)))`;
}

/** byte offset of row `row` with element stride `ld`: ptr + row*ld*4 */
const rowPtr = (ptr: string, row: string, ld: string) => `(i32.add (local.get $${ptr}) (i32.shl (i32.mul ${row} ${ld}) (i32.const 2)))`;
const padded = `(i32.ge_s (local.get $t) (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $b) (i32.const 2)))))`;

/** A per-step kernel over the B rows of one time step. */
function stepKernel(name: string, params: string, v128Locals: string[], i32Locals: string[], rowSetup: string, padBody: string, body: (L: Lane) => string): string {
  return `
  (func $${name} (export "${name}") ${params}
    (local $b i32) (local $jb i32) (local $Hb i32) ${i32Locals.map((l) => `(local $${l} i32)`).join(' ')} ${v128Locals.map((l) => `(local $${l} v128)`).join(' ')} ${expLocals()}
    (local.set $Hb (i32.shl (local.get $H) (i32.const 2)))
    (block $bd (loop $bl
      (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
      ${rowSetup}
      (if ${padded}
        (then ${padBody})
        (else ${unitLoop(body)}))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bl))))`;
}

const zeroFill = (ptr: string, bytes: string) => `(memory.fill ${ptr} (i32.const 0) ${bytes})`;
const Hbytes = (n: number) => `(i32.mul (local.get $Hb) (i32.const ${n}))`;

// ---- LSTM -------------------------------------------------------------------------------------------

function lstmStep(fx: boolean): string {
  const rowSetup = `
      ${set('gi', rowPtr('g', get('b'), `(i32.shl (local.get $H) (i32.const 2))`))}
      ${set('gf', `(i32.add (local.get $gi) (local.get $Hb))`)}
      ${set('gg', `(i32.add (local.get $gf) (local.get $Hb))`)}
      ${set('go', `(i32.add (local.get $gg) (local.get $Hb))`)}
      ${set('cp', rowPtr('cPrev', get('b'), get('H')))}
      ${set('cc', rowPtr('c', get('b'), get('H')))}
      ${set('dr', rowPtr('drop', get('b'), get('H')))}
      ${set('hh', rowPtr('h', get('b'), get('ldh')))}`;
  const pad = `${zeroFill(get('gi'), Hbytes(4))} (memory.copy ${get('cc')} ${get('cp')} ${get('Hb')}) ${zeroFill(get('hh'), get('Hb'))}`;
  const body = (L: Lane) => {
    let s = `
        ${set('i', sig(L.ld(at('gi'))))}
        ${set('f', sig(L.ld(at('gf'))))}
        ${set('gv', tanh(L.ld(at('gg'))))}
        ${set('o', sig(L.ld(at('go'))))}`;
    if (fx) s += `${set('i', fix(get('i'), 'sig'))} ${set('f', fix(get('f'), 'sig'))} ${set('gv', fix(get('gv'), 'cand'))} ${set('o', fix(get('o'), 'sig'))}`;
    s += set('cv', add(mul(get('f'), L.ld(at('cp'))), mul(get('i'), get('gv'), L.ld(at('dr')))));
    if (fx) s += set('cv', fix(get('cv'), 'state'));
    s += set('hv', mul(get('o'), tanh(get('cv'))));
    if (fx) s += set('hv', fix(get('hv'), 'out'));
    s += `
        ${L.st(at('gi'), get('i'))} ${L.st(at('gf'), get('f'))} ${L.st(at('gg'), get('gv'))} ${L.st(at('go'), get('o'))}
        ${L.st(at('cc'), get('cv'))} ${L.st(at('hh'), get('hv'))}`;
    return s;
  };
  return stepKernel(
    `lstm_step${fx ? '_fx' : ''}`,
    `(param $g i32) (param $cPrev i32) (param $c i32) (param $h i32) (param $ldh i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) (param $drop i32) ${fx ? FX_PARAMS : ''}`,
    ['i', 'f', 'gv', 'o', 'cv', 'hv'],
    ['gi', 'gf', 'gg', 'go', 'cp', 'cc', 'dr', 'hh'],
    rowSetup,
    pad,
    body,
  );
}

function lstmStepBackward(): string {
  const rowSetup = `
      ${set('gi', rowPtr('g', get('b'), `(i32.shl (local.get $H) (i32.const 2))`))}
      ${set('gf', `(i32.add (local.get $gi) (local.get $Hb))`)}
      ${set('gg', `(i32.add (local.get $gf) (local.get $Hb))`)}
      ${set('go', `(i32.add (local.get $gg) (local.get $Hb))`)}
      ${set('cp', rowPtr('cPrev', get('b'), get('H')))}
      ${set('cc', rowPtr('c', get('b'), get('H')))}
      ${set('dr', rowPtr('drop', get('b'), get('H')))}
      ${set('dhr', rowPtr('dh', get('b'), get('lddh')))}
      ${set('dcr', rowPtr('dc', get('b'), get('H')))}`;
  const pad = zeroFill(get('gi'), Hbytes(4));
  const body = (L: Lane) => `
        ${set('i', L.ld(at('gi')))} ${set('f', L.ld(at('gf')))} ${set('gv', L.ld(at('gg')))} ${set('o', L.ld(at('go')))}
        ${set('tc', tanh(L.ld(at('cc'))))}
        ${set('m', L.ld(at('dr')))}
        ${set('dhv', L.ld(at('dhr')))}
        ${set('dcv', add(L.ld(at('dcr')), mul(get('dhv'), get('o'), oneMinus(mul(get('tc'), get('tc'))))))}
        ${L.st(at('dcr'), mul(get('dcv'), get('f')))}
        ${L.st(at('gi'), mul(get('dcv'), get('gv'), get('m'), get('i'), oneMinus(get('i'))))}
        ${L.st(at('gf'), mul(get('dcv'), L.ld(at('cp')), get('f'), oneMinus(get('f'))))}
        ${L.st(at('gg'), mul(get('dcv'), get('i'), get('m'), oneMinus(mul(get('gv'), get('gv')))))}
        ${L.st(at('go'), mul(get('dhv'), get('tc'), get('o'), oneMinus(get('o'))))}`;
  return stepKernel(
    'lstm_step_backward',
    '(param $g i32) (param $cPrev i32) (param $c i32) (param $dh i32) (param $lddh i32) (param $dc i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) (param $drop i32)',
    ['i', 'f', 'gv', 'o', 'tc', 'm', 'dhv', 'dcv'],
    ['gi', 'gf', 'gg', 'go', 'cp', 'cc', 'dr', 'dhr', 'dcr'],
    rowSetup,
    pad,
    body,
  );
}

// ---- GRU --------------------------------------------------------------------------------------------

const gruRow = (G: number, extra = '') => `
      ${set('gr', rowPtr('g', get('b'), `(i32.mul (local.get $H) (i32.const ${G}))`))}
      ${set('gz', `(i32.add (local.get $gr) (local.get $Hb))`)}
      ${set('gn', `(i32.add (local.get $gz) (local.get $Hb))`)}${extra}`;

function gruGatesStep(fx: boolean): string {
  const rowSetup = gruRow(3, `
      ${set('hp', rowPtr('hPrev', get('b'), get('ldhp')))}
      ${set('rr', rowPtr('rh', get('b'), get('H')))}`);
  const pad = `${zeroFill(get('gr'), Hbytes(2))} ${zeroFill(get('rr'), get('Hb'))}`;
  const body = (L: Lane) => {
    let s = `${set('r', sig(L.ld(at('gr'))))} ${set('z', sig(L.ld(at('gz'))))}`;
    if (fx) s += `${set('r', fix(get('r'), 'sig'))} ${set('z', fix(get('z'), 'sig'))}`;
    s += `
        ${L.st(at('gr'), get('r'))} ${L.st(at('gz'), get('z'))}
        ${L.st(at('rr'), mul(get('r'), L.ld(at('hp'))))}`;
    return s;
  };
  return stepKernel(
    `gru_gates_step${fx ? '_fx' : ''}`,
    `(param $g i32) (param $hPrev i32) (param $ldhp i32) (param $rh i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) ${fx ? FX_PARAMS : ''}`,
    ['r', 'z'],
    ['gr', 'gz', 'gn', 'hp', 'rr'],
    rowSetup,
    pad,
    body,
  );
}

function gruStep(torch: boolean, fx: boolean): string {
  const rowSetup = gruRow(
    3,
    `
      ${torch ? set('hr', rowPtr('gh', get('b'), `(i32.mul (local.get $H) (i32.const 3))`)) : ''}
      ${torch ? set('hz', `(i32.add (local.get $hr) (local.get $Hb))`) : ''}
      ${torch ? set('hn', `(i32.add (local.get $hz) (local.get $Hb))`) : ''}
      ${set('hp', rowPtr('hPrev', get('b'), get('ldhp')))}
      ${set('hh', rowPtr('h', get('b'), get('ldh')))}
      ${set('dr', rowPtr('drop', get('b'), get('H')))}`,
  );
  const pad = `${zeroFill(get('gr'), Hbytes(3))} ${zeroFill(get('hh'), get('Hb'))}`;
  const body = (L: Lane) => {
    let s: string;
    if (torch) {
      s = `${set('r', sig(add(L.ld(at('gr')), L.ld(at('hr')))))} ${set('z', sig(add(L.ld(at('gz')), L.ld(at('hz')))))}`;
      if (fx) s += `${set('r', fix(get('r'), 'sig'))} ${set('z', fix(get('z'), 'sig'))}`;
      s += set('n', tanh(add(L.ld(at('gn')), mul(get('r'), L.ld(at('hn'))))));
    } else {
      s = `${set('r', L.ld(at('gr')))} ${set('z', L.ld(at('gz')))} ${set('n', tanh(L.ld(at('gn'))))}`;
    }
    if (fx) s += set('n', fix(get('n'), 'cand'));
    s += set('hv', add(mul(get('z'), L.ld(at('hp'))), mul(oneMinus(get('z')), get('n'), L.ld(at('dr')))));
    if (fx) s += set('hv', fix(get('hv'), 'out'));
    s += `${L.st(at('gr'), get('r'))} ${L.st(at('gz'), get('z'))} ${L.st(at('gn'), get('n'))} ${L.st(at('hh'), get('hv'))}`;
    return s;
  };
  return stepKernel(
    `gru_step_${torch ? 'torch' : 'kaldi'}${fx ? '_fx' : ''}`,
    `(param $g i32) (param $gh i32) (param $hPrev i32) (param $ldhp i32) (param $h i32) (param $ldh i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) (param $drop i32) ${fx ? FX_PARAMS : ''}`,
    ['r', 'z', 'n', 'hv'],
    ['gr', 'gz', 'gn', 'hr', 'hz', 'hn', 'hp', 'hh', 'dr'],
    rowSetup,
    pad,
    body,
  );
}

function gruStepBackward(torch: boolean): string {
  const rowSetup = gruRow(
    3,
    `
      ${torch ? set('hr', rowPtr('gh', get('b'), `(i32.mul (local.get $H) (i32.const 3))`)) : ''}
      ${torch ? set('hz', `(i32.add (local.get $hr) (local.get $Hb))`) : ''}
      ${torch ? set('hn', `(i32.add (local.get $hz) (local.get $Hb))`) : ''}
      ${set('hp', rowPtr('hPrev', get('b'), get('ldhp')))}
      ${set('dhr', rowPtr('dh', get('b'), get('lddh')))}
      ${set('dpr', rowPtr('dhPrev', get('b'), get('lddhp')))}
      ${set('dr', rowPtr('drop', get('b'), get('H')))}`,
  );
  const pad = `${zeroFill(get('gr'), Hbytes(3))} ${torch ? zeroFill(get('hr'), Hbytes(3)) : ''}`;
  const body = (L: Lane) => {
    let s = `
        ${set('r', L.ld(at('gr')))} ${set('z', L.ld(at('gz')))} ${set('n', L.ld(at('gn')))}
        ${set('m', L.ld(at('dr')))} ${set('dhv', L.ld(at('dhr')))}
        ${set('daz', mul(get('dhv'), sub(L.ld(at('hp')), mul(get('n'), get('m'))), get('z'), oneMinus(get('z'))))}
        ${set('dan', mul(get('dhv'), oneMinus(get('z')), get('m'), oneMinus(mul(get('n'), get('n')))))}
        ${L.st(at('dpr'), add(L.ld(at('dpr')), mul(get('dhv'), get('z'))))}
        ${L.st(at('gz'), get('daz'))} ${L.st(at('gn'), get('dan'))}`;
    if (torch) {
      s += `
        ${set('dar', mul(get('dan'), L.ld(at('hn')), get('r'), oneMinus(get('r'))))}
        ${L.st(at('gr'), get('dar'))} ${L.st(at('hr'), get('dar'))} ${L.st(at('hz'), get('daz'))} ${L.st(at('hn'), mul(get('dan'), get('r')))}`;
    }
    return s;
  };
  return stepKernel(
    `gru_step_backward_${torch ? 'torch' : 'kaldi'}`,
    '(param $g i32) (param $gh i32) (param $hPrev i32) (param $ldhp i32) (param $dh i32) (param $lddh i32) (param $dhPrev i32) (param $lddhp i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) (param $drop i32)',
    ['r', 'z', 'n', 'm', 'dhv', 'daz', 'dan', 'dar'],
    ['gr', 'gz', 'gn', 'hr', 'hz', 'hn', 'hp', 'dhr', 'dpr', 'dr'],
    rowSetup,
    pad,
    body,
  );
}

function gruResetBackward(): string {
  const rowSetup = gruRow(
    3,
    `
      ${set('hp', rowPtr('hPrev', get('b'), get('ldhp')))}
      ${set('dd', rowPtr('drh', get('b'), get('H')))}
      ${set('dpr', rowPtr('dhPrev', get('b'), get('lddhp')))}`,
  );
  const pad = zeroFill(get('gr'), get('Hb'));
  const body = (L: Lane) => `
        ${set('r', L.ld(at('gr')))} ${set('d', L.ld(at('dd')))}
        ${L.st(at('gr'), mul(get('d'), L.ld(at('hp')), get('r'), oneMinus(get('r'))))}
        ${L.st(at('dpr'), add(L.ld(at('dpr')), mul(get('d'), get('r'))))}`;
  return stepKernel(
    'gru_reset_backward',
    '(param $g i32) (param $drh i32) (param $hPrev i32) (param $ldhp i32) (param $dhPrev i32) (param $lddhp i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32)',
    ['r', 'd'],
    ['gr', 'gz', 'gn', 'hp', 'dd', 'dpr'],
    rowSetup,
    pad,
    body,
  );
}

// ---- LiGRU ------------------------------------------------------------------------------------------

function ligruStep(fx: boolean): string {
  const rowSetup = `
      ${set('gz', rowPtr('g', get('b'), `(i32.shl (local.get $H) (i32.const 1))`))}
      ${set('gn', `(i32.add (local.get $gz) (local.get $Hb))`)}
      ${set('hp', rowPtr('hPrev', get('b'), get('ldhp')))}
      ${set('hh', rowPtr('h', get('b'), get('ldh')))}
      ${set('dr', rowPtr('drop', get('b'), get('H')))}`;
  const pad = `${zeroFill(get('gz'), Hbytes(2))} ${zeroFill(get('hh'), get('Hb'))}`;
  const body = (L: Lane) => {
    let s = `${set('z', sig(L.ld(at('gz'))))} ${set('n', relu(L.ld(at('gn'))))}`;
    if (fx) s += `${set('z', fix(get('z'), 'sig'))} ${set('n', fix(get('n'), 'cand'))}`;
    s += set('hv', add(mul(get('z'), L.ld(at('hp'))), mul(oneMinus(get('z')), get('n'), L.ld(at('dr')))));
    if (fx) s += set('hv', fix(get('hv'), 'out'));
    s += `${L.st(at('gz'), get('z'))} ${L.st(at('gn'), get('n'))} ${L.st(at('hh'), get('hv'))}`;
    return s;
  };
  return stepKernel(
    `ligru_step${fx ? '_fx' : ''}`,
    `(param $g i32) (param $hPrev i32) (param $ldhp i32) (param $h i32) (param $ldh i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) (param $drop i32) ${fx ? FX_PARAMS : ''}`,
    ['z', 'n', 'hv'],
    ['gz', 'gn', 'hp', 'hh', 'dr'],
    rowSetup,
    pad,
    body,
  );
}

function ligruStepBackward(): string {
  const rowSetup = `
      ${set('gz', rowPtr('g', get('b'), `(i32.shl (local.get $H) (i32.const 1))`))}
      ${set('gn', `(i32.add (local.get $gz) (local.get $Hb))`)}
      ${set('hp', rowPtr('hPrev', get('b'), get('ldhp')))}
      ${set('dhr', rowPtr('dh', get('b'), get('lddh')))}
      ${set('dpr', rowPtr('dhPrev', get('b'), get('lddhp')))}
      ${set('dr', rowPtr('drop', get('b'), get('H')))}`;
  const pad = zeroFill(get('gz'), Hbytes(2));
  const body = (L: Lane) => `
        ${set('z', L.ld(at('gz')))} ${set('n', L.ld(at('gn')))} ${set('m', L.ld(at('dr')))} ${set('dhv', L.ld(at('dhr')))}
        ${L.st(at('dpr'), add(L.ld(at('dpr')), mul(get('dhv'), get('z'))))}
        ${L.st(at('gz'), mul(get('dhv'), sub(L.ld(at('hp')), mul(get('n'), get('m'))), get('z'), oneMinus(get('z'))))}
        ${L.st(at('gn'), `(v128.and ${mul(get('dhv'), oneMinus(get('z')), get('m'))} (f32x4.gt ${get('n')} ${ZERO4}))`)}`;
  return stepKernel(
    'ligru_step_backward',
    '(param $g i32) (param $hPrev i32) (param $ldhp i32) (param $dh i32) (param $lddh i32) (param $dhPrev i32) (param $lddhp i32) (param $B i32) (param $H i32) (param $lengths i32) (param $t i32) (param $drop i32)',
    ['z', 'n', 'm', 'dhv'],
    ['gz', 'gn', 'hp', 'dhr', 'dpr', 'dr'],
    rowSetup,
    pad,
    body,
  );
}

// ---- SRU --------------------------------------------------------------------------------------------

type SkipMode = 'k4' | 'x' | 'none';

/** The (t, b) double loop of an SRU kernel; `tp` is the previous step in processing order (-1 at the start). */
function sruLoops(backward: boolean, rowSetup: string, pad: string, body: (L: Lane) => string): string {
  const sInit = backward ? `(local.set $s (i32.sub (local.get $T) (i32.const 1)))` : `(local.set $s (i32.const 0))`;
  const sDone = backward ? `(i32.lt_s (local.get $s) (i32.const 0))` : `(i32.ge_s (local.get $s) (local.get $T))`;
  const sNext = backward ? `(i32.sub (local.get $s) (i32.const 1))` : `(i32.add (local.get $s) (i32.const 1))`;
  return `
    (local.set $Hb (i32.shl (local.get $H) (i32.const 2)))
    ${sInit}
    (block $td (loop $tl
      (br_if $td ${sDone})
      (local.set $t (select (i32.sub (i32.sub (local.get $T) (i32.const 1)) (local.get $s)) (local.get $s) (local.get $reverse)))
      (local.set $tp (if (result i32) (i32.eqz (local.get $s)) (then (i32.const -1))
        (else (select (i32.add (local.get $t) (i32.const 1)) (i32.sub (local.get $t) (i32.const 1)) (local.get $reverse)))))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_u (local.get $b) (local.get $B)))
        (local.set $row (i32.add (i32.mul (local.get $t) (local.get $B)) (local.get $b)))
        (local.set $po (if (result i32) (i32.lt_s (local.get $tp) (i32.const 0)) (then (local.get $zeros))
          (else ${rowPtr('c', `(i32.add (i32.mul (local.get $tp) (local.get $B)) (local.get $b))`, get('H'))})))
        ${rowSetup}
        (if ${padded}
          (then ${pad})
          (else ${unitLoop(body)}))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $s ${sNext})
      (br $tl)))`;
}

const sruRowSetup = (extra: string) => `
        ${set('ux', rowPtr('u', get('row'), get('ldu')))}
        ${set('uf', `(i32.add (local.get $ux) (local.get $Hb))`)}
        ${set('ur', `(i32.add (local.get $uf) (local.get $Hb))`)}
        ${set('up', `(i32.add (local.get $ur) (local.get $Hb))`)}
        ${set('cr', rowPtr('c', get('row'), get('H')))}
        ${set('xr', rowPtr('x', get('row'), get('ldx')))}
        ${set('dr', rowPtr('drop', get('b'), get('H')))}
        ${set('vf', get('v'))} ${set('vr', `(i32.add (local.get $v) (local.get $Hb))`)}${extra}`;

const SRU_I32 = ['s', 't', 'tp', 'row', 'po', 'ux', 'uf', 'ur', 'up', 'cr', 'xr', 'dr', 'vf', 'vr', 'hr', 'bf', 'br', 'dhr', 'dxr', 'dcr', 'a0', 'a1', 'a2', 'a3'];

function sruForward(mode: SkipMode, fx: boolean): string {
  const rowSetup = sruRowSetup(`
        ${set('hr', rowPtr('h', get('row'), get('ldh')))}
        ${set('bf', get('bias'))} ${set('br', `(i32.add (local.get $bias) (local.get $Hb))`)}`);
  const pad = `(memory.copy ${get('cr')} ${get('po')} ${get('Hb')}) ${zeroFill(get('hr'), get('Hb'))} ${zeroFill(get('uf'), Hbytes(2))}`;
  const body = (L: Lane) => {
    let s = `
          ${set('cp', L.ld(at('po')))}
          ${set('f', sig(add(add(L.ld(at('uf')), mul(L.ld(at('vf')), get('cp'))), L.ld(at('bf')))))}
          ${set('r', sig(add(add(L.ld(at('ur')), mul(L.ld(at('vr')), get('cp'))), L.ld(at('br')))))}`;
    if (fx) s += `${set('f', fix(get('f'), 'sig'))} ${set('r', fix(get('r'), 'sig'))}`;
    s += set('cv', add(mul(get('f'), get('cp')), mul(oneMinus(get('f')), L.ld(at('ux')))));
    if (fx) s += set('cv', fix(get('cv'), 'state'));
    if (mode === 'none') s += set('hv', mul(get('cv'), L.ld(at('dr')), get('r')));
    else {
      s += set('xp', mode === 'k4' ? L.ld(at('up')) : mul(`(f32x4.splat (local.get $alpha))`, L.ld(at('xr'))));
      s += set('hv', add(get('xp'), mul(sub(get('cv'), get('xp')), L.ld(at('dr')), get('r'))));
    }
    if (fx) s += set('hv', fix(get('hv'), 'out'));
    s += `${L.st(at('uf'), get('f'))} ${L.st(at('ur'), get('r'))} ${L.st(at('cr'), get('cv'))} ${L.st(at('hr'), get('hv'))}`;
    return s;
  };
  return `
  (func $sru_forward_${mode}${fx ? '_fx' : ''} (export "sru_forward_${mode}${fx ? '_fx' : ''}") (param $u i32) (param $ldu i32) (param $x i32) (param $ldx i32) (param $alpha f32)
      (param $v i32) (param $bias i32) (param $c i32) (param $h i32) (param $ldh i32) (param $T i32) (param $B i32) (param $H i32)
      (param $lengths i32) (param $reverse i32) (param $drop i32) (param $zeros i32) ${fx ? FX_PARAMS : ''}
    (local $b i32) (local $jb i32) (local $Hb i32) ${SRU_I32.map((l) => `(local $${l} i32)`).join(' ')}
    (local $cp v128) (local $f v128) (local $r v128) (local $cv v128) (local $xp v128) (local $hv v128) ${expLocals()}
    ${sruLoops(false, rowSetup, pad, body)})`;
}

function sruBackward(mode: SkipMode): string {
  const rowSetup = sruRowSetup(`
        ${set('dhr', rowPtr('dh', get('row'), get('lddh')))}
        ${set('dxr', rowPtr('dx', get('row'), get('lddx')))}
        ${set('dcr', rowPtr('dc', get('b'), get('H')))}
        ${set('a0', get('acc'))} ${set('a1', `(i32.add (local.get $a0) (local.get $Hb))`)}
        ${set('a2', `(i32.add (local.get $a1) (local.get $Hb))`)} ${set('a3', `(i32.add (local.get $a2) (local.get $Hb))`)}`);
  const pad = zeroFill(get('ux'), `(i32.mul (local.get $Hb) (local.get $K))`);
  const body = (L: Lane) => {
    let s = `
          ${set('cp', L.ld(at('po')))} ${set('xt', L.ld(at('ux')))} ${set('f', L.ld(at('uf')))} ${set('r', L.ld(at('ur')))}
          ${set('cv', L.ld(at('cr')))} ${set('m', L.ld(at('dr')))} ${set('dhv', L.ld(at('dhr')))}
          ${set('dcv', add(L.ld(at('dcr')), mul(get('dhv'), get('m'), get('r'))))}`;
    if (mode === 'none') s += set('dr2', mul(get('dhv'), get('m'), get('cv')));
    else {
      s += set('xp', mode === 'k4' ? L.ld(at('up')) : mul(`(f32x4.splat (local.get $alpha))`, L.ld(at('xr'))));
      s += set('dr2', mul(get('dhv'), get('m'), sub(get('cv'), get('xp'))));
      s += set('dxp', mul(get('dhv'), oneMinus(mul(get('m'), get('r')))));
    }
    s += `
          ${set('dfp', mul(get('dcv'), sub(get('cp'), get('xt')), get('f'), oneMinus(get('f'))))}
          ${set('drp', mul(get('dr2'), get('r'), oneMinus(get('r'))))}
          ${L.st(at('dcr'), add(add(mul(get('dcv'), get('f')), mul(get('dfp'), L.ld(at('vf')))), mul(get('drp'), L.ld(at('vr')))))}
          ${L.st(at('a0'), add(L.ld(at('a0')), mul(get('dfp'), get('cp'))))}
          ${L.st(at('a1'), add(L.ld(at('a1')), mul(get('drp'), get('cp'))))}
          ${L.st(at('a2'), add(L.ld(at('a2')), get('dfp')))}
          ${L.st(at('a3'), add(L.ld(at('a3')), get('drp')))}
          ${L.st(at('ux'), mul(get('dcv'), oneMinus(get('f'))))}
          ${L.st(at('uf'), get('dfp'))} ${L.st(at('ur'), get('drp'))}`;
    if (mode === 'k4') s += L.st(at('up'), get('dxp'));
    if (mode === 'x') s += L.st(at('dxr'), add(L.ld(at('dxr')), mul(`(f32x4.splat (local.get $alpha))`, get('dxp'))));
    return s;
  };
  return `
  (func $sru_backward_${mode} (export "sru_backward_${mode}") (param $u i32) (param $ldu i32) (param $K i32) (param $x i32) (param $ldx i32) (param $alpha f32)
      (param $v i32) (param $c i32) (param $dh i32) (param $lddh i32) (param $dx i32) (param $lddx i32) (param $acc i32)
      (param $T i32) (param $B i32) (param $H i32) (param $lengths i32) (param $reverse i32) (param $drop i32) (param $dc i32) (param $zeros i32)
    (local $b i32) (local $jb i32) (local $Hb i32) ${SRU_I32.map((l) => `(local $${l} i32)`).join(' ')}
    (local $cp v128) (local $xt v128) (local $f v128) (local $r v128) (local $cv v128) (local $m v128) (local $dhv v128)
    (local $dcv v128) (local $xp v128) (local $dr2 v128) (local $dxp v128) (local $dfp v128) (local $drp v128)
    ${sruLoops(true, rowSetup, pad, body)})`;
}

/** Every cell kernel and its variants. */
export function cellsWat(): string {
  const parts: string[] = [];
  for (const fx of [false, true]) {
    parts.push(lstmStep(fx), gruGatesStep(fx), gruStep(false, fx), gruStep(true, fx), ligruStep(fx));
    for (const mode of ['k4', 'x', 'none'] as const) parts.push(sruForward(mode, fx));
  }
  parts.push(lstmStepBackward(), gruStepBackward(false), gruStepBackward(true), gruResetBackward(), ligruStepBackward());
  for (const mode of ['k4', 'x', 'none'] as const) parts.push(sruBackward(mode));
  return parts.join('\n');
}
