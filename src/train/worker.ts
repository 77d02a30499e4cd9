/**
 * Pool worker of the trainer: one model replica per thread (see replica.ts), answering gradient and
 * evaluation tasks.
 */
import { Replica } from './replica.js';
import type { ReplicaInit, ReplicaResult, ReplicaTask } from './replica.js';

let replica: Replica | null = null;

export function init(data: ReplicaInit): void {
  replica = new Replica(data);
}

export default function run(task: ReplicaTask): ReplicaResult {
  if (!replica) throw new Error('training worker used before init');
  return replica.run(task);
}
