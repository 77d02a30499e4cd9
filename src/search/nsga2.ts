/**
 * NSGA-II (Deb et al. 2002) as pymoo assembles it: random sampling, binary tournament on constraint
 * violation / domination / crowding, SBX crossover and polynomial mutation (both rounding integer
 * variables, as pymoo's integer variants with `RoundingRepair`), duplicate elimination and
 * rank-and-crowding survival. This file only chooses the parts and their defaults; the only piece
 * specific to NSGA-II is its tournament.
 */
import { invalidParameter } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import { GeneticAlgorithm, type BatchEvaluate, type GenerationInfo, type SearchResult, type SearchState } from './algorithm.js';
import { dominanceRelation } from './dominance.js';
import { sbx } from './operators/crossover.js';
import { distanceDuplicateElimination, noDuplicateElimination } from './operators/duplicates.js';
import { pm } from './operators/mutation.js';
import { roundingRepair, type Repair } from './operators/repair.js';
import { randomSampling } from './operators/sampling.js';
import type { Sampling } from './operators/sampling.js';
import { binaryTournament, compareBy, type TournamentComparator } from './operators/selection.js';
import { rankAndCrowdingSurvival } from './operators/survival.js';
import { defineProblem, type Evaluate, type SearchProblem, type SearchProblemSpec } from './problem.js';
import { maxGenerations } from './termination.js';

/**
 * NSGA-II's tournament (pymoo's `binary_tournament`, 'comp_by_dom_and_crowding'): if either is
 * infeasible the smaller violation wins; otherwise the dominating one; otherwise the larger crowding
 * distance; remaining ties at random.
 */
export const nsga2Tournament: TournamentComparator = (pop, a, b, rng) => {
  const aCv = pop.CV[a]!;
  const bCv = pop.CV[b]!;
  if (aCv > 0 || bCv > 0) return compareBy(a, aCv, b, bCv, 'smaller', rng, true);
  const rel = dominanceRelation(pop.F, a, b, pop.nObj);
  if (rel === 1) return a;
  if (rel === -1) return b;
  return compareBy(a, pop.crowding[a]!, b, pop.crowding[b]!, 'larger', rng, true);
};

export interface NSGA2Options {
  /** Total generations, the evaluated initial population being the first (pymoo's n_gen). */
  generations: number;
  /** Fixes every random choice of the search. */
  seed: number;
  /** Default 40, as the MOHAQ papers. */
  populationSize?: number;
  /** Offspring per generation; default 10, as the MOHAQ papers (pymoo's default is populationSize). */
  offspringSize?: number;
  /** SBX: prob per mating (default 0.9), eta (15), probVar per variable (0.5), probBin swap (0.5). */
  crossover?: { prob?: number; eta?: number; probVar?: number; probBin?: number };
  /** Polynomial mutation: prob per variable (default 1/n), eta (20), individualProb (1). */
  mutation?: { prob?: number; eta?: number; individualProb?: number };
  /** Default true. */
  eliminateDuplicates?: boolean;
  /** Applied to every new candidate after mutation (and to the initial sample), e.g. to fix invalid genomes. */
  repair?: Repair;
  /** The initial population. @default uniform random within the bounds */
  sampling?: Sampling;
}

function checkProbability(name: string, v: number | undefined): void {
  if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) throw invalidParameter(name, 'a probability in [0, 1]', v);
}

function checkEta(name: string, v: number | undefined): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw invalidParameter(name, 'a finite number >= 0', v);
}

function checkCount(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw invalidParameter(name, 'a positive integer', v);
}

/** An NSGA-II with ask/tell; `run()` or `nsga2()` drive it. */
export function createNSGA2(problemSpec: SearchProblemSpec | SearchProblem, options: NSGA2Options): GeneticAlgorithm {
  const problem = defineProblem(problemSpec);
  if (options === null || typeof options !== 'object') throw invalidParameter('the NSGA-II options', 'an object', options);
  if (!(typeof options.seed === 'number' && Number.isInteger(options.seed))) throw invalidParameter('seed', 'an integer', options.seed);
  checkCount('generations', options.generations);
  checkCount('populationSize', options.populationSize);
  checkCount('offspringSize', options.offspringSize);
  const c = options.crossover ?? {};
  const m = options.mutation ?? {};
  checkProbability('crossover.prob', c.prob);
  checkEta('crossover.eta', c.eta);
  checkProbability('crossover.probVar', c.probVar);
  checkProbability('crossover.probBin', c.probBin);
  checkProbability('mutation.prob', m.prob);
  checkEta('mutation.eta', m.eta);
  checkProbability('mutation.individualProb', m.individualProb);
  if (options.repair !== undefined && typeof options.repair !== 'function') throw invalidParameter('repair', 'a function', options.repair);

  const crossover = { prob: c.prob ?? 0.9, eta: c.eta ?? 15, probVar: c.probVar ?? 0.5, probBin: c.probBin ?? 0.5 };
  const mutation = { prob: m.prob ?? 1 / problem.nVar, eta: m.eta ?? 20, individualProb: m.individualProb ?? 1 };
  const populationSize = options.populationSize ?? 40;
  const offspringSize = options.offspringSize ?? 10;
  const eliminateDuplicates = options.eliminateDuplicates ?? true;
  return new GeneticAlgorithm(problem, {
    populationSize,
    offspringSize,
    sampling: options.sampling ?? randomSampling,
    selection: binaryTournament(nsga2Tournament),
    crossover: sbx({ ...crossover, repair: roundingRepair }),
    mutation: pm({ ...mutation, repair: roundingRepair }),
    ...(options.repair ? { repair: options.repair } : {}),
    duplicates: eliminateDuplicates ? distanceDuplicateElimination() : noDuplicateElimination,
    survival: rankAndCrowdingSurvival,
    termination: maxGenerations(options.generations),
    rng: new Rng(options.seed),
    settings: {
      algorithm: 'nsga2',
      seed: options.seed,
      populationSize,
      offspringSize,
      crossover: { operator: 'sbx', ...crossover },
      mutation: { operator: 'pm', ...mutation },
      eliminateDuplicates,
      repair: options.repair ? options.repair.name || 'custom' : null,
    },
  });
}

export interface Nsga2RunOptions extends NSGA2Options {
  variables: SearchProblemSpec['variables'];
  /** How many objectives; all minimized. */
  objectives: number;
  /** How many constraints; g <= 0 is feasible. */
  constraints?: number;
  /** One candidate's objectives and constraints; a batch is evaluated with Promise.all, in order. */
  evaluate: Evaluate;
  /** Replaces `evaluate` for whole batches (a worker pool, a cache). */
  evaluateBatch?: BatchEvaluate;
  /** Called after every generation (the initial population is generation 1). */
  onGeneration?: (info: GenerationInfo) => void | Promise<void>;
  progress?: Progress;
  /** Continue from `algorithm.getState()` of a search with the same settings. */
  resume?: SearchState;
}

/** Runs NSGA-II to the end and returns the feasible non-dominated front. */
export async function nsga2(options: Nsga2RunOptions): Promise<SearchResult> {
  const { variables, objectives, constraints, evaluate } = options;
  if (typeof evaluate !== 'function' && typeof options.evaluateBatch !== 'function') throw invalidParameter('evaluate', 'a function', evaluate);
  const algorithm = createNSGA2({ variables, objectives, ...(constraints !== undefined ? { constraints } : {}), evaluate }, options);
  if (options.resume) algorithm.setState(options.resume);
  const progress = options.progress;
  progress?.start(options.generations, 'nsga2', { evaluations: algorithm.evaluations });
  try {
    return await algorithm.run({
      ...(options.evaluateBatch ? { evaluate: options.evaluateBatch } : {}),
      onGeneration: async (info) => {
        progress?.update(info.generation, { evaluations: info.evaluations, front: info.front.length });
        await options.onGeneration?.(info);
      },
    });
  } finally {
    progress?.stop();
  }
}
