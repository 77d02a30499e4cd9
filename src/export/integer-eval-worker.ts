/** Worker of `evaluateIntegerModel` with threads > 1 (src/util/pool.ts contract). */
import { integerEvalWorker } from './integer-eval.js';
import type { IntegerEvalInit, IntegerEvalTask } from './integer-eval.js';
import type { BatchScore } from '../quant/scoring.js';

const worker = integerEvalWorker();

export function init(data: IntegerEvalInit): void {
  worker.init(data);
}

export default function evaluateTask(task: IntegerEvalTask): BatchScore {
  return worker.run(task);
}
