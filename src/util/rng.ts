/**
 * Seeded random numbers. One seed fixes every random choice in mohaq: callers create an `Rng` from the
 * seed once and pass it (or a `fork` of it) to whatever needs randomness. `Math.random` is never used.
 *
 * The generator is pure-rand's xoroshiro128+; its 128-bit state is seeded through splitmix32 so that
 * nearby seeds give unrelated streams. `fork(label)` derives an independent child stream from the
 * parent's seed and a label (not from the parent's position), so that e.g. worker k's stream does not
 * depend on how many numbers another worker drew: results stay identical for any worker count.
 */
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

type Xoroshiro = ReturnType<typeof xoroshiro128plusFromState>;

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/** 32-bit FNV-1a hash of a string, to turn labels into seeds. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export type RngState = { seed: number; state: number[]; spare: number | null };

export class Rng {
  /** The seed this stream was created from (children derive theirs from it). */
  readonly seed: number;
  private gen: Xoroshiro;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng seed must be a finite number, got ${seed}`);
    this.seed = Math.trunc(seed) | 0;
    const sm = { s: this.seed ^ 0x5bd1e995 };
    const state: number[] = [splitmix32(sm), splitmix32(sm), splitmix32(sm), splitmix32(sm)];
    if (!state.some((v) => v !== 0)) state[0] = 1;
    this.gen = xoroshiro128plusFromState(state);
  }

  /** An independent stream for a named purpose (`'dropout'`, `'worker:3'`, `'genome:42'`). */
  fork(label: string | number): Rng {
    return new Rng(hashString(String(label), this.seed ^ 0x27d4eb2d));
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    return this.gen.next() >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.gen.next() >>> 6; // 26 bits
    const lo = this.gen.next() >>> 5; // 27 bits
    return (hi * 134217728 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new Error(`Rng.int needs a positive integer bound, got ${n}`);
    if (n <= 0x100000000) {
      const limit = Math.floor(0x100000000 / n) * n;
      for (;;) {
        const v = this.uint32();
        if (v < limit) return v % n;
      }
    }
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Standard normal deviate (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return s;
    }
    for (;;) {
      const u = 2 * this.float() - 1;
      const v = 2 * this.float() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick needs a non-empty array');
    return items[this.int(items.length)]!;
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** Fill with N(mean, std^2). */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /** Fill with U[lo, hi). */
  fillUniform(out: Float32Array | Float64Array, lo: number, hi: number): void {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.float();
  }

  /** Serializable state (for checkpoints); `Rng.fromState` restores the exact stream position. */
  getState(): RngState {
    return { seed: this.seed, state: this.gen.getState().slice(), spare: this.spareNormal };
  }

  static fromState(s: RngState): Rng {
    const r = new Rng(s.seed);
    r.gen = xoroshiro128plusFromState(s.state);
    r.spareNormal = s.spare;
    return r;
  }
}
