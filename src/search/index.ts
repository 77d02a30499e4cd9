/**
 * Multi-objective search: a generic NSGA-II after pymoo (problem, operators, ask/tell algorithm,
 * checkpointable state) and quality indicators (hypervolume, IGD).
 */
export { nsga2, createNSGA2, nsga2Tournament } from './nsga2.js';
export type { NSGA2Options, Nsga2RunOptions } from './nsga2.js';
export { GeneticAlgorithm } from './algorithm.js';
export type { GeneticAlgorithmOptions, BatchEvaluate, GenerationInfo, SearchResult, RunOptions, SearchState, EncodedNumber } from './algorithm.js';
export { defineProblem } from './problem.js';
export type { SearchVariable, VariableType, CandidateEvaluation, Evaluate, SearchProblemSpec, SearchProblem } from './problem.js';
export { Population } from './population.js';
export type { Solution } from './population.js';
export { dominanceRelation, nonDominatedSort, nonDominated } from './dominance.js';
export { mate } from './mating.js';
export type { MatingOptions, Offspring } from './mating.js';
export { maxGenerations, maxEvaluations, terminateOnAny } from './termination.js';
export type { Termination, SearchStatus } from './termination.js';
export { randomSampling, seededSampling } from './operators/sampling.js';
export type { Sampling } from './operators/sampling.js';
export { sbx, probabilisticCrossover } from './operators/crossover.js';
export type { Crossover, Recombine, SbxOptions, ProbabilisticCrossoverOptions } from './operators/crossover.js';
export { pm } from './operators/mutation.js';
export type { Mutation, PmOptions } from './operators/mutation.js';
export { binaryTournament, compareBy } from './operators/selection.js';
export type { Selection, TournamentComparator } from './operators/selection.js';
export { rankAndCrowdingSurvival } from './operators/survival.js';
export type { Survival } from './operators/survival.js';
export { crowdingDistance } from './operators/crowding.js';
export { distanceDuplicateElimination, noDuplicateElimination } from './operators/duplicates.js';
export type { DuplicateElimination } from './operators/duplicates.js';
export { roundingRepair, clampRepair, chainRepairs } from './operators/repair.js';
export type { Repair } from './operators/repair.js';
export { hypervolume } from './indicators/hypervolume.js';
export { igd, gd, igdPlus } from './indicators/distance.js';
export { zdt1, zdt2, zdt3 } from './problems/zdt.js';
export type { BenchmarkProblem } from './problems/zdt.js';
export { dtlz2, dasDennis } from './problems/dtlz.js';
export { RUN_FORMAT, RUN_FILES, OBJECTIVE_METRIC, EVALUATION_COLUMNS } from './run-format.js';
export type { RunConfig, RunStatus, RunState, EvaluationRecord, GenerationRecord, FrontEntry, FrontFile, ReferencePoint, GeneSpec, MetricName, ObjectiveName, RunCheckpoint, SectionFile } from './run-format.js';
export { createRunDir, writeStatus, appendEvaluations, appendHistory, writeFront, writeCheckpoint, readCheckpoint, rollbackToCheckpoint, readRunDir, formatEvaluationsCsv, parseEvaluationsCsv } from './run-dir.js';
export type { RunDirContents } from './run-dir.js';
