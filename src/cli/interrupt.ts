/**
 * Ctrl-C (or SIGTERM) asks a long job to stop at its next safe point through an AbortSignal, so it
 * can checkpoint and say how to continue; a second Ctrl-C quits at once (exit 130). The handlers live
 * only while `run` does.
 */
export async function withInterrupts<T>(stopping: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${stopping} (Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
