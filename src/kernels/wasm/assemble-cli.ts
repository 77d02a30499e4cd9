// Writes the assembled kernel module to the path given as the only argument (used by the backend when
// running from source, where it cannot await wabt).
import { writeFileSync } from 'node:fs';
import { assembleKernels } from './assemble.js';

writeFileSync(process.argv[2]!, await assembleKernels());
