import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EVALUATIONS_HEADER,
  appendEvaluations,
  appendHistory,
  createRunDir,
  formatEvaluationsCsv,
  parseEvaluationsCsv,
  readCheckpoint,
  readRunDir,
  rollbackToCheckpoint,
  writeCheckpoint,
  writeFront,
  writeStatus,
} from '../../src/search/run-dir.js';
import { RUN_FORMAT, type EvaluationRecord, type RunConfig } from '../../src/search/run-format.js';
import { Rng } from '../../src/util/rng.js';
import { syntheticConfig, writeSyntheticRun } from './fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mohaq-rundir-'));

function record(index: number, generation: number, extra: Partial<EvaluationRecord> = {}): EvaluationRecord {
  return {
    index,
    generation,
    genome: [0, 1, 2, 1, 0, 2, 1, 0],
    bits: '*=8/8,FC=4/4',
    error: 18.25,
    speedup: 2.5,
    energy: 6.5e6,
    memoryBytes: 5_600_000,
    compression: 3.98,
    feasible: true,
    violations: [],
    cacheHit: false,
    seconds: 1.25,
    ...extra,
  };
}

function config(): RunConfig {
  return syntheticConfig('silago', { generations: 10, seed: 3, beacons: false });
}

test('evaluations.csv: a hand-worked row (quoting, lists, empty optional cells)', () => {
  const text = formatEvaluationsCsv([
    record(0, 1, { violations: ['memory 6.1 MiB > 6 MiB', 'a;b\\c'], feasible: false, beacon: 'b,1', beaconError: 17.5, baseError: 19 }),
  ]);
  assert.equal(
    text,
    `${EVALUATIONS_HEADER}\n` + '0,1,0;1;2;1;0;2;1;0,"*=8/8,FC=4/4",18.25,2.5,6500000,5600000,3.98,,false,memory 6.1 MiB > 6 MiB;a\\;b\\\\c,false,1.25,19,"b,1",17.5,\n',
  );
  assert.equal(EVALUATIONS_HEADER, 'index,generation,genome,bits,error,speedup,energy,memoryBytes,compression,eliminatedOps,feasible,violations,cacheHit,seconds,baseError,beacon,beaconError,thresholds');
});

test('evaluations.csv: random records round-trip bit-exactly', () => {
  const rng = new Rng(42);
  const weird = [0, -0, 5e-324, 1e21, -1.7976931348623157e308, 0.1 + 0.2, 1 / 3, Infinity, -Infinity, NaN];
  const pick = () => (rng.float() < 0.2 ? weird[Math.floor(rng.float() * weird.length)]! : (rng.float() - 0.3) * 10 ** Math.floor(rng.float() * 12 - 4));
  const text = (n: number) => Array.from({ length: n }, () => ' ,;"\\\nxé='[Math.floor(rng.float() * 11)]).join('') + 'z';
  const records: EvaluationRecord[] = Array.from({ length: 300 }, (_, i) => {
    const r: EvaluationRecord = {
      index: i,
      generation: Math.floor(i / 10),
      genome: Array.from({ length: 16 }, pick),
      bits: text(1 + Math.floor(rng.float() * 30)),
      error: pick(),
      speedup: pick(),
      energy: pick(),
      memoryBytes: pick(),
      compression: pick(),
      feasible: rng.float() < 0.5,
      violations: Array.from({ length: Math.floor(rng.float() * 3) }, () => text(1 + Math.floor(rng.float() * 12))),
      cacheHit: rng.float() < 0.3,
      seconds: pick(),
    };
    if (rng.float() < 0.5) r.eliminatedOps = pick();
    if (rng.float() < 0.5) r.baseError = pick();
    if (rng.float() < 0.5) r.beacon = text(1 + Math.floor(rng.float() * 6));
    if (rng.float() < 0.5) r.beaconError = pick();
    return r;
  });
  const parsed = parseEvaluationsCsv(formatEvaluationsCsv(records), 'evaluations.csv');
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.records, records);
});

test('evaluations.csv: bad content names the file, line and column', () => {
  const good = formatEvaluationsCsv([record(0, 1), record(1, 1)]);
  const lines = good.split('\n');
  const bad = (text: string) => () => parseEvaluationsCsv(text, '/r/evaluations.csv', { genes: 8 });
  assert.throws(bad(good.replace('18.25', '18.2x')), { message: '/r/evaluations.csv: line 2, column error: Expected a number but received "18.2x"' });
  assert.throws(bad(good.replace(',false,1.25', ',nope,1.25')), { message: '/r/evaluations.csv: line 2, column cacheHit: Expected true or false but received "nope"' });
  assert.throws(bad([lines[0], lines[1], '3,1,0', ''].join('\n')), {
    message: '/r/evaluations.csv: line 3: Expected 18 comma-separated cells (the columns of the header) but received 3',
  });
  assert.throws(bad(good.replace('0;1;2;1;0;2;1;0', '0;1;2')), { message: '/r/evaluations.csv: line 2, column genome: Expected 8 gene values (the genes of config.json) but received 3' });
  assert.throws(bad(good.replace('index,generation', 'id,generation')), {
    message: `/r/evaluations.csv: line 1: Expected the header ${EVALUATIONS_HEADER} but received "id,generation,genome,bits,error,speedup,energy,memoryByte..."`,
  });
  assert.throws(bad(good.replace('"*=8/8,FC=4/4",18.25', '"*=8/8,FC=4/4"x,18.25')), {
    message: '/r/evaluations.csv: line 2: a quoted cell must be followed by "," or the end of the line (cell 4)',
  });
});

test('evaluations.csv: a partial last line is ignored with a note, the next append cuts it off', () => {
  const dir = tmp();
  createRunDir(dir, config());
  appendEvaluations(dir, [record(0, 1), record(1, 1)]);
  const file = join(dir, 'evaluations.csv');
  const full = statSync(file).size;
  appendEvaluations(dir, [record(2, 2)]);
  truncateSync(file, full + 20); // killed in the middle of the row of index 2
  let run = readRunDir(dir);
  assert.deepEqual(run.evaluations.map((e) => e.index), [0, 1]);
  assert.deepEqual(run.problems, [`${file} line 4 is incomplete (the run was stopped while writing it) and was ignored`]);

  appendEvaluations(dir, [record(2, 2, { error: 19.5 }), record(3, 2)]);
  run = readRunDir(dir);
  assert.deepEqual(run.evaluations.map((e) => [e.index, e.error]), [[0, 18.25], [1, 18.25], [2, 19.5], [3, 18.25]]);
  assert.deepEqual(run.problems, []);
  assert.equal(readFileSync(file, 'utf8'), formatEvaluationsCsv([record(0, 1), record(1, 1), record(2, 2, { error: 19.5 }), record(3, 2)]));
});

test('evaluations.csv: a header cut short and rows written twice after a resume', () => {
  const dir = tmp();
  createRunDir(dir, config());
  const file = join(dir, 'evaluations.csv');
  writeFileSync(file, 'index,genera');
  assert.deepEqual(readRunDir(dir).problems, [`${file} has no header line yet (the run stopped while creating it); no evaluations are shown`]);
  appendEvaluations(dir, [record(0, 1)]);
  assert.equal(readFileSync(file, 'utf8'), formatEvaluationsCsv([record(0, 1)]));
  appendEvaluations(dir, [record(0, 1, { error: 20 })]);
  const run = readRunDir(dir);
  assert.deepEqual(run.evaluations.map((e) => e.error), [20]);
  assert.deepEqual(run.problems, [`${file} repeats 1 evaluation index (rows written again after a resume); the last row of each is used`]);
});

test('history.jsonl: appends, partial last line, bad lines', () => {
  const dir = tmp();
  createRunDir(dir, config());
  const gen = (g: number) => ({ generation: g, evaluations: 10 * g, cacheHits: g, frontSize: 3, hypervolume: 0.1 * g, seconds: 2 });
  appendHistory(dir, gen(1));
  appendHistory(dir, [gen(2), gen(3)]);
  const file = join(dir, 'history.jsonl');
  appendFileSync(file, '{"generation":4,"evalu');
  let run = readRunDir(dir);
  assert.deepEqual(run.history, [gen(1), gen(2), gen(3)]);
  assert.deepEqual(run.problems, [`${file} line 4 is incomplete (the run was stopped while writing it) and was ignored`]);
  appendHistory(dir, gen(4));
  run = readRunDir(dir);
  assert.deepEqual(run.history.map((h) => h.generation), [1, 2, 3, 4]);
  writeFileSync(file, `${JSON.stringify(gen(1))}\n{"generation":2,"evaluations":"x","cacheHits":0,"frontSize":1,"hypervolume":0,"seconds":1}\n`);
  assert.throws(() => readRunDir(dir), { message: `${file}: line 2: evaluations: Expected a number but received "x"` });
  writeFileSync(file, '{oops\n');
  assert.throws(() => readRunDir(dir), { message: /^.*history\.jsonl: line 1: not valid JSON \(/ });
  assert.throws(() => appendHistory(dir, { ...gen(5), hypervolume: 'big' as unknown as number }), {
    message: 'Expected a number for history record.hypervolume but received "big"',
  });
});

test('readRunDir: directories that are not (complete) runs give clear errors', () => {
  const dir = tmp();
  assert.throws(() => readRunDir(join(dir, 'nope')), { message: `not a mohaq run directory: ${join(dir, 'nope')} does not exist` });
  assert.throws(() => readRunDir(dir), { message: `not a mohaq run directory: ${join(dir, 'config.json')} is missing` });
  writeFileSync(join(dir, 'config.json'), '{"format": "mohaq-run/1",');
  assert.throws(() => readRunDir(dir), { message: /config\.json: not valid JSON/ });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config(), format: 'mohaq-run/9' }));
  assert.throws(() => readRunDir(dir), { message: `${join(dir, 'config.json')}: format: Expected "mohaq-run/1" but received "mohaq-run/9"` });
  const c = config() as unknown as { search: Record<string, unknown> };
  c.search.seed = 1.5;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  assert.throws(() => readRunDir(dir), { message: `${join(dir, 'config.json')}: search.seed: Expected an integer but received 1.5` });
  const noGenes = config() as unknown as Record<string, unknown>;
  delete noGenes.genes;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(noGenes));
  assert.throws(() => readRunDir(dir), { message: `${join(dir, 'config.json')}: genes: Expected an array but received nothing` });
});

test('readRunDir: a finished run needs front.json; an unfinished one is read as it is', () => {
  const dir = tmp();
  writeSyntheticRun(dir, { platform: 'silago', generations: 4 });
  const finished = readRunDir(dir);
  assert.equal(finished.status.state, 'finished');
  assert.equal(finished.front?.final, true);
  assert.equal(finished.evaluations.length, finished.status.evaluations);
  assert.ok(finished.evaluations.length > 40);
  assert.deepEqual(finished.history.map((h) => h.generation), [1, 2, 3, 4]);
  assert.equal(finished.checkpoint?.generation, 4);
  assert.deepEqual(finished.problems, []);

  rmSync(join(dir, 'front.json'));
  assert.throws(() => readRunDir(dir), { message: `${join(dir, 'front.json')} is missing, but ${join(dir, 'status.json')} says the run finished` });

  const early = tmp();
  const written = writeSyntheticRun(early, { platform: 'silago', generations: 10, stopAfter: 2, writeFront: false });
  rmSync(join(early, 'status.json'));
  rmSync(join(early, 'history.jsonl'));
  const run = readRunDir(early);
  assert.equal(run.status.state, 'interrupted');
  assert.equal(run.status.generation, 0);
  assert.equal(run.status.generations, 10);
  assert.equal(run.evaluations.length, written.evaluations.length);
  assert.equal(run.status.evaluations, written.evaluations.length);
  assert.equal(run.front, undefined);
  assert.deepEqual(run.problems, [
    `${join(early, 'history.jsonl')} is missing: the hypervolume per generation is not shown`,
    `${join(early, 'status.json')} is missing (the run stopped right after it started); it is shown as interrupted`,
  ]);
});

test('readRunDir: front.json must match the config; a broken checkpoint is only a note', () => {
  const dir = tmp();
  writeSyntheticRun(dir, { platform: 'bitfusion', generations: 2 });
  const front = JSON.parse(readFileSync(join(dir, 'front.json'), 'utf8'));
  writeFileSync(join(dir, 'front.json'), JSON.stringify({ ...front, objectives: ['error', 'energy'] }));
  assert.throws(() => readRunDir(dir), { message: `${join(dir, 'front.json')}: objectives: Expected the objectives of ${join(dir, 'config.json')} (error, speedup) but received error, energy` });
  writeFileSync(join(dir, 'front.json'), JSON.stringify({ ...front, entries: [{ ...front.entries[0], speedup: 'fast' }] }));
  assert.throws(() => readRunDir(dir), { message: `${join(dir, 'front.json')}: entries[0].speedup: Expected a number but received "fast"` });
  writeFileSync(join(dir, 'front.json'), JSON.stringify(front));
  writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ format: RUN_FORMAT, generation: 'two' }));
  const run = readRunDir(dir);
  assert.deepEqual(run.problems, [`${join(dir, 'checkpoint.json')}: generation: Expected a number but received "two" (a resume would fail)`]);
  assert.throws(() => readCheckpoint(dir), { message: `${join(dir, 'checkpoint.json')}: generation: Expected a number but received "two"` });
});

test('createRunDir refuses to overwrite a run unless asked; writers check what they write', () => {
  const dir = tmp();
  createRunDir(dir, config());
  assert.equal(readFileSync(join(dir, 'evaluations.csv'), 'utf8'), `${EVALUATIONS_HEADER}\n`);
  assert.equal(readRunDir(dir).status.state, 'running');
  assert.throws(() => createRunDir(dir, config()), { message: `${dir} already holds a mohaq run (config.json exists); resume it, choose another directory, or overwrite it` });
  appendEvaluations(dir, [record(0, 1)]);
  createRunDir(dir, config(), { overwrite: true });
  assert.equal(readRunDir(dir).evaluations.length, 0);

  assert.throws(() => createRunDir(tmp(), { ...config(), objectives: ['error', 'latency' as never] }), {
    message: 'Expected one of "error", "speedup", "energy", "memory", "compression", "eliminated" for config.objectives[1] but received "latency"',
  });
  assert.throws(() => appendEvaluations(dir, [record(0, 1), record(1, 1, { beacon: '' })]), { message: 'Expected a non-empty string for records[1].beacon but received ""' });
  assert.throws(() => appendEvaluations(dir, [record(0, 1, { index: -1 })]), { message: 'Expected a number >= 0 for records[0].index but received -1' });
  assert.throws(() => writeStatus(dir, { ...readRunDir(dir).status, state: 'paused' as never }), {
    message: 'Expected one of "running", "finished", "interrupted", "failed" for status.state but received "paused"',
  });
  assert.throws(() => writeFront(dir, { format: RUN_FORMAT, objectives: [], final: true, entries: [], references: [], hypervolume: 0, hypervolumeReference: [] } as never), {
    message: 'Expected at least 1 item for front.objectives but received an array of 0',
  });
});

test('rollbackToCheckpoint drops rows and history lines the checkpoint does not cover', () => {
  const dir = tmp();
  createRunDir(dir, config());
  appendEvaluations(dir, [record(0, 1), record(1, 1)]);
  appendHistory(dir, { generation: 1, evaluations: 2, cacheHits: 0, frontSize: 1, hypervolume: 0.5, seconds: 1 });
  writeCheckpoint(dir, { format: RUN_FORMAT, generation: 1, evaluations: 2, savedAt: '2026-03-02T10:00:00.000Z', algorithm: { state: 'opaque' } });
  appendEvaluations(dir, [record(2, 2), record(3, 2)]);
  appendHistory(dir, { generation: 2, evaluations: 4, cacheHits: 0, frontSize: 1, hypervolume: 0.6, seconds: 1 });
  const checkpoint = rollbackToCheckpoint(dir);
  assert.deepEqual(checkpoint, { format: RUN_FORMAT, generation: 1, evaluations: 2, savedAt: '2026-03-02T10:00:00.000Z', algorithm: { state: 'opaque' } });
  const run = readRunDir(dir);
  assert.deepEqual(run.evaluations.map((e) => e.index), [0, 1]);
  assert.deepEqual(run.history.map((h) => h.generation), [1]);
  assert.deepEqual(run.checkpoint, checkpoint);

  rmSync(join(dir, 'checkpoint.json'));
  assert.equal(rollbackToCheckpoint(dir), undefined);
  assert.equal(readRunDir(dir).evaluations.length, 0);
});
