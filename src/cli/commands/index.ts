import type { Command } from 'commander';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as features } from './features.js';
import { register as data } from './data.js';
import { register as hw } from './hw.js';
import { register as importCmd } from './import.js';
import { register as run } from './run.js';
import { register as corpus } from './corpus.js';
import { register as report } from './report.js';
import { register as search } from './search.js';
import { register as train } from './train.js';
import { register as retrain } from './retrain.js';
import { register as evalCmd } from './eval.js';
import { register as calibrate } from './calibrate.js';
import { register as quantize } from './quantize.js';
import { register as delta } from './delta.js';
import { register as exportCmd } from './export.js';

/** Every sub-command, in the order `mohaq --help` lists them. Add one import and one entry per command. */
const commands: Array<(program: Command) => void> = [
  demo,
  doctor,
  features,
  data,
  hw,
  importCmd,
  run,
  corpus,
  search,
  report,
  train,
  retrain,
  evalCmd,
  calibrate,
  quantize,
  delta,
  exportCmd,
];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
