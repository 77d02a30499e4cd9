// Worker entry used only when mohaq runs from TypeScript source (tests, benchmarks, tsx): Node 20 does not
// apply the parent's `--import tsx` hooks to worker threads, so the worker registers tsx itself and then
// loads the real entry, passed as the last argv element. Re-exporting `default` lets piscina use it too.
import { register } from 'tsx/esm/api';

register();
const entry = await import(process.argv[process.argv.length - 1]);
export default entry.default;
