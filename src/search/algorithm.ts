/**
 * A generational genetic algorithm with ask/tell (pymoo's `Algorithm` + `GeneticAlgorithm`): `ask()`
 * returns the candidates to evaluate (the initial population first, then each generation's offspring),
 * `tell()` takes their evaluations and runs survival. `run()` is only a loop over the two, so evaluation
 * in a worker pool, caching or retraining between generations fit in between without a second loop.
 *
 * The whole state (population, counters, RNG position, a batch asked but not yet told) serializes to
 * JSON; a search restored from it continues exactly as the uninterrupted one.
 */
import { MohaqError, invalidParameter } from '../util/errors.js';
import { Rng, type RngState } from '../util/rng.js';
import { mate, type MatingOptions } from './mating.js';
import type { Sampling } from './operators/sampling.js';
import type { Survival } from './operators/survival.js';
import { Population, type Solution } from './population.js';
import { describeX, readEvaluation, type CandidateEvaluation, type SearchProblem } from './problem.js';
import type { Termination } from './termination.js';

export interface GeneticAlgorithmOptions extends MatingOptions {
  populationSize: number;
  /** Offspring per generation. */
  offspringSize: number;
  sampling: Sampling;
  survival: Survival;
  termination: Termination;
  rng: Rng;
  /**
   * The parameters that define this search (operators, sizes, seed), stored in the state; a state
   * restores only into an algorithm with the same settings.
   */
  settings?: Record<string, unknown>;
}

/** Evaluates a batch; results in the order of the candidates, whatever order they complete in. */
export type BatchEvaluate = (X: number[][]) => Promise<CandidateEvaluation[]> | CandidateEvaluation[];

export interface GenerationInfo {
  /** Generations completed (1 = the initial population). */
  readonly generation: number;
  readonly evaluations: number;
  /** The current population, rank by rank. */
  readonly population: Solution[];
  /** Feasible non-dominated solutions of the population. */
  readonly front: Solution[];
  /** For `getState()` (checkpoints) and anything else between generations. */
  readonly algorithm: GeneticAlgorithm;
}

export interface SearchResult {
  /** Feasible non-dominated solutions of the final population (empty when none is feasible). */
  front: Solution[];
  /** The final population with everything known about each individual. */
  population: Solution[];
  evaluations: number;
  generations: number;
}

export interface RunOptions {
  /** Evaluates a batch; default: the problem's `evaluate` on every candidate, with `Promise.all`. */
  evaluate?: BatchEvaluate;
  onGeneration?: (info: GenerationInfo) => void | Promise<void>;
}

const STATE_FORMAT = 'mohaq-search-state';
const STATE_VERSION = 1;

/** A JSON-safe number: non-finite values as strings (JSON has no Infinity or NaN). */
export type EncodedNumber = number | 'Infinity' | '-Infinity' | 'NaN';

export interface SearchState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  settings: Record<string, unknown>;
  generation: number;
  evaluations: number;
  /** True when mating could not produce any new offspring and the search ended early. */
  stopped: boolean;
  rng: RngState;
  population: {
    X: number[][];
    F: number[][];
    G: EncodedNumber[][];
    rank: number[];
    crowding: EncodedNumber[];
  } | null;
  /** Candidates returned by `ask()` and not yet told. */
  pending: number[][] | null;
}

function encodeNumber(v: number): EncodedNumber {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function decodeNumber(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return NaN;
  throw invalidParameter(name, 'a number', v);
}

function rows(M: Float64Array, n: number, width: number, encode = false): (number | EncodedNumber)[][] {
  return Array.from({ length: n }, (_, i) => Array.from(M.subarray(i * width, (i + 1) * width), (v) => (encode ? encodeNumber(v) : v)));
}

function readRows(value: unknown, n: number, width: number, name: string, into: Float64Array): void {
  if (!Array.isArray(value) || value.length !== n) throw invalidParameter(name, `an array of ${n} rows`, value);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== width) throw invalidParameter(`${name}[${i}]`, `an array of ${width} numbers`, row);
    row.forEach((v: unknown, j) => {
      into[i * width + j] = decodeNumber(v, `${name}[${i}][${j}]`);
    });
  });
}

export class GeneticAlgorithm {
  readonly problem: SearchProblem;
  private readonly options: GeneticAlgorithmOptions;
  private readonly settings: Record<string, unknown>;
  private rng: Rng;
  private pop: Population | null = null;
  private pending: Float64Array | null = null;
  private pendingCount = 0;
  private stopped = false;
  private generationCount = 0;
  private evaluationCount = 0;

  constructor(problem: SearchProblem, options: GeneticAlgorithmOptions) {
    for (const key of ['populationSize', 'offspringSize'] as const) {
      const v = options[key];
      if (!Number.isInteger(v) || v < 1) throw invalidParameter(key, 'a positive integer', v);
    }
    this.problem = problem;
    this.options = options;
    this.rng = options.rng;
    this.settings = {
      variables: problem.variables,
      objectives: problem.nObj,
      constraints: problem.nConstr,
      ...options.settings,
    };
  }

  /** Generations completed (1 once the initial population is evaluated). */
  get generation(): number {
    return this.generationCount;
  }

  get evaluations(): number {
    return this.evaluationCount;
  }

  /** The current population (null before the initial one is told). */
  get population(): Population | null {
    return this.pop;
  }

  /** False once the termination criterion is met or mating could not produce new offspring. */
  hasNext(): boolean {
    if (this.stopped) return false;
    return this.options.termination.progress({ generation: this.generationCount, evaluations: this.evaluationCount }) < 1;
  }

  /** Progress towards termination in [0, 1]. */
  progress(): number {
    if (this.stopped) return 1;
    return this.options.termination.progress({ generation: this.generationCount, evaluations: this.evaluationCount });
  }

  /**
   * The candidates to evaluate next. Asking again before `tell()` returns the same batch (so a restored
   * state with a pending batch asks for it again). Returns [] when the search is over.
   */
  ask(): number[][] {
    if (!this.pending) {
      if (!this.hasNext()) return [];
      const { problem, options, rng } = this;
      if (!this.pop) {
        const X = options.sampling.sample(problem, options.populationSize, rng);
        options.repair?.(problem, X, options.populationSize);
        // the initial population can be smaller than asked when the sample holds duplicates (as pymoo)
        const keep = options.duplicates.keep(X, options.populationSize, problem.nVar, []);
        const unique = new Float64Array(keep.length * problem.nVar);
        keep.forEach((i, k) => unique.set(X.subarray(i * problem.nVar, (i + 1) * problem.nVar), k * problem.nVar));
        this.setPending(unique, keep.length);
      } else {
        const off = mate(problem, this.pop, options.offspringSize, rng, options);
        if (off.n === 0) {
          this.stopped = true;
          return [];
        }
        this.setPending(off.X, off.n);
      }
    }
    return rows(this.pending!, this.pendingCount, this.problem.nVar) as number[][];
  }

  private setPending(X: Float64Array, n: number): void {
    this.pending = X;
    this.pendingCount = n;
  }

  /** The evaluations of the candidates of the last `ask()`, in the same order. */
  tell(evaluations: readonly CandidateEvaluation[]): void {
    const { problem, options } = this;
    if (!this.pending) {
      throw new MohaqError('INVALID_ARGUMENT', 'Expected candidates from ask() before tell() but received evaluations with nothing pending');
    }
    const n = this.pendingCount;
    if (!Array.isArray(evaluations) || evaluations.length !== n) {
      throw invalidParameter('the evaluations given to tell()', `an array of ${n} (one per candidate from ask())`, evaluations);
    }
    const off = new Population(problem, n);
    off.X.set(this.pending);
    const nextGeneration = this.generationCount + 1;
    for (let i = 0; i < n; i++) {
      const which = `candidate ${i} of generation ${nextGeneration} (x = ${describeX(off.X.subarray(i * problem.nVar, (i + 1) * problem.nVar))})`;
      readEvaluation(problem, evaluations[i]!, which, off.F, i * problem.nObj, off.G, i * problem.nConstr);
    }
    off.updateViolation();
    this.pop = this.pop
      ? options.survival.survive(Population.merge(this.pop, off), options.populationSize, this.rng)
      : options.survival.survive(off, off.size, this.rng);
    this.generationCount = nextGeneration;
    this.evaluationCount += n;
    this.pending = null;
    this.pendingCount = 0;
  }

  /** Asks, evaluates and tells until termination. */
  async run(runOptions: RunOptions = {}): Promise<SearchResult> {
    const evaluate = runOptions.evaluate ?? this.defaultBatchEvaluate();
    while (this.hasNext() || this.pending) {
      const X = this.ask();
      if (X.length === 0) break;
      this.tell(await evaluate(X));
      if (runOptions.onGeneration) await runOptions.onGeneration(this.generationInfo());
    }
    return this.result();
  }

  private defaultBatchEvaluate(): BatchEvaluate {
    const { evaluate } = this.problem;
    if (!evaluate) throw invalidParameter('evaluate', 'a function (the problem has none and run() was given no batch evaluator)', evaluate);
    return (X) => Promise.all(X.map((x) => evaluate(x)));
  }

  private generationInfo(): GenerationInfo {
    // population and front are built only if the callback reads them
    const algorithm = this;
    return {
      generation: this.generationCount,
      evaluations: this.evaluationCount,
      get population() {
        return algorithm.pop ? algorithm.pop.solutions() : [];
      },
      get front() {
        return algorithm.front();
      },
      algorithm,
    };
  }

  /** Feasible non-dominated solutions of the current population. */
  front(): Solution[] {
    const pop = this.pop;
    if (!pop) return [];
    const out: Solution[] = [];
    for (let i = 0; i < pop.size; i++) if (pop.isFeasible(i) && pop.rank[i] === 0) out.push(pop.solution(i));
    return out;
  }

  result(): SearchResult {
    return {
      front: this.front(),
      population: this.pop ? this.pop.solutions() : [],
      evaluations: this.evaluationCount,
      generations: this.generationCount,
    };
  }

  /** Everything needed to continue this search exactly; plain JSON. */
  getState(): SearchState {
    const { nVar, nObj, nConstr } = this.problem;
    const pop = this.pop;
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      settings: JSON.parse(JSON.stringify(this.settings)) as Record<string, unknown>,
      generation: this.generationCount,
      evaluations: this.evaluationCount,
      stopped: this.stopped,
      rng: this.rng.getState(),
      population: pop
        ? {
            X: rows(pop.X, pop.size, nVar) as number[][],
            F: rows(pop.F, pop.size, nObj) as number[][],
            G: rows(pop.G, pop.size, nConstr, true) as EncodedNumber[][],
            rank: Array.from(pop.rank),
            crowding: Array.from(pop.crowding, encodeNumber),
          }
        : null,
      pending: this.pending ? (rows(this.pending, this.pendingCount, nVar) as number[][]) : null,
    };
  }

  /**
   * Continues from a state of `getState()`. The state must come from a search with the same settings
   * (problem, sizes, operators, seed); the termination may differ, so a finished search can be extended.
   */
  setState(state: SearchState): void {
    if (state === null || typeof state !== 'object' || state.format !== STATE_FORMAT) {
      throw invalidParameter('the search state', `an object with format "${STATE_FORMAT}"`, state?.format ?? state);
    }
    if (state.version !== STATE_VERSION) throw invalidParameter('version of the search state', String(STATE_VERSION), state.version);
    const mine = JSON.parse(JSON.stringify(this.settings)) as Record<string, unknown>;
    const theirs = state.settings ?? {};
    for (const key of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
      const a = JSON.stringify(mine[key]);
      const b = JSON.stringify(theirs[key]);
      if (a !== b) {
        throw new MohaqError(
          'INVALID_ARGUMENT',
          `Expected ${key} = ${a ?? 'nothing'} (as this search is set up) for settings.${key} of the search state but received ${b ?? 'nothing'}`,
        );
      }
    }
    for (const key of ['generation', 'evaluations'] as const) {
      if (!Number.isInteger(state[key]) || state[key] < 0) throw invalidParameter(`${key} of the search state`, 'a non-negative integer', state[key]);
    }
    const { problem } = this;
    let pop: Population | null = null;
    if (state.population) {
      const s = state.population;
      const size = Array.isArray(s.X) ? s.X.length : -1;
      if (size < 1) throw invalidParameter('population.X of the search state', 'a non-empty array of rows', s.X);
      pop = new Population(problem, size);
      readRows(s.X, size, problem.nVar, 'population.X of the search state', pop.X);
      readRows(s.F, size, problem.nObj, 'population.F of the search state', pop.F);
      readRows(s.G, size, problem.nConstr, 'population.G of the search state', pop.G);
      if (!Array.isArray(s.rank) || s.rank.length !== size) throw invalidParameter('population.rank of the search state', `an array of ${size} integers`, s.rank);
      if (!Array.isArray(s.crowding) || s.crowding.length !== size) throw invalidParameter('population.crowding of the search state', `an array of ${size} numbers`, s.crowding);
      s.rank.forEach((r, i) => {
        pop!.rank[i] = r;
      });
      s.crowding.forEach((c, i) => {
        pop!.crowding[i] = decodeNumber(c, `population.crowding[${i}] of the search state`);
      });
      pop.updateViolation();
    }
    let pending: Float64Array | null = null;
    let pendingCount = 0;
    if (state.pending) {
      pendingCount = Array.isArray(state.pending) ? state.pending.length : -1;
      if (pendingCount < 1) throw invalidParameter('pending of the search state', 'a non-empty array of rows or null', state.pending);
      pending = new Float64Array(pendingCount * problem.nVar);
      readRows(state.pending, pendingCount, problem.nVar, 'pending of the search state', pending);
    }
    this.rng = Rng.fromState(state.rng);
    this.pop = pop;
    this.pending = pending;
    this.pendingCount = pendingCount;
    this.stopped = Boolean(state.stopped);
    this.generationCount = state.generation;
    this.evaluationCount = state.evaluations;
  }
}
