import type { Command } from 'commander';
import { choiceFlag, intFlag } from '../flags.js';
import { addQuantFlags, quantOptionsOf } from './eval.js';
import type { QuantFlags } from './eval.js';

interface ExportCommandOptions extends QuantFlags {
  model?: string;
  run?: string;
  solution?: number;
  format: 'safetensors' | 'c' | 'onnx';
  out: string;
  data?: string;
  maxFrames: number;
  recurrence: 'auto' | 'scan';
  testUtterances: number;
  split: string;
  json?: boolean;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(2)} MiB`;
}

/**
 * `mohaq export`: a quantized model (a float model and bits, a quantized file, or a search run's
 * solution) as integer safetensors, C99 sources with integer-only inference, or an ONNX QDQ graph.
 */
export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description('export a quantized model for deployment: integer safetensors, C (integer-only inference) or ONNX (QDQ)')
    .requiredOption('--format <format>', 'safetensors, c or onnx', choiceFlag('--format', ['safetensors', 'c', 'onnx'] as const))
    .requiredOption('--out <path>', 'file to write (safetensors, onnx) or directory (c)')
    .option('--model <file>', 'model file: float (with --bits), quantized (mohaq quantize) or an integer export')
    .option('--run <dir>', 'search run directory (with --solution): model, data, calibration and options from its config')
    .option('--solution <id>', 'evaluation index of the run solution to export (front.json / evaluations.csv)', intFlag('--solution', 0))
    .option('--data <dir>', 'feature store: calibration of a float model (its opt subset, cached) and the C test utterances');
  addQuantFlags(cmd)
    .option('--max-frames <n>', 'C: longest utterance the static buffers hold', intFlag('--max-frames', 1, 1 << 20), 1000)
    .option('--test-utterances <n>', 'C: utterances of the store written as test_input.txt with test_expected.txt', intFlag('--test-utterances', 0), 3)
    .option('--split <name>', 'C: split of the test utterances', 'test')
    .option('--recurrence <form>', 'ONNX: auto (LSTM/GRU operators where only weights are quantized) or scan (every layer as a Scan of the fake-quantized step)', choiceFlag('--recurrence', ['auto', 'scan'] as const), 'auto')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  mohaq export --model models/sru-small.safetensors --data feats --bits "*=8/8" --format c --out sru-c\n  mohaq export --run runs/bitfusion --solution 412 --format safetensors --out sru-412.safetensors\n  mohaq export --model sru-412.safetensors --format onnx --out sru-412.onnx\n\nThe C export compiles with gcc -std=c99 and computes, with integers only, exactly what\n`mohaq eval --integer-only` computes.',
    )
    .action(async (opts: ExportCommandOptions) => {
      const { resolveExportSource, exportModel } = await import('../../export/index.js');
      const { autoProgress, silentProgress } = await import('../../util/progress.js');
      const { invalidParameter } = await import('../../util/errors.js');
      if (opts.integer) throw invalidParameter('--integer', 'no --integer for export (it is an evaluation mode)', true);
      const progress = opts.json ? silentProgress : autoProgress();
      const quant = await quantOptionsOf(opts);
      const { integer: _integer, ...fileQuant } = quant;
      const source = resolveExportSource({
        model: opts.model,
        bits: opts.bits,
        run: opts.run,
        solution: opts.solution,
        data: opts.data,
        calibration: opts.calibration,
        opt: { size: opts.optSize, seed: opts.optSeed },
        quant: fileQuant,
        progress,
      });
      const summary = exportModel(source, { format: opts.format, out: opts.out, maxFrames: opts.maxFrames, recurrence: opts.recurrence, testUtterances: opts.testUtterances, split: opts.split });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const lines = [`exported ${summary.source} as ${summary.format}: ${summary.bits}`];
      for (const f of summary.files) lines.push(`  ${f.path}  ${bytes(f.bytes)}`);
      const d = summary.details as Record<string, unknown>;
      if (summary.format === 'onnx') lines.push(`opset ${d.opset}, ${d.nodes} nodes; recurrent layers: ${(d.layers as Array<{ layer: number; type: string; form: string }>).map((l) => `L${l.layer} ${l.type} as ${l.form}`).join(', ')}`);
      if (summary.format === 'safetensors') lines.push(`${d.blocks} weight blocks (${d.packed} packed), ${d.vectors} 16-bit vectors, integer engine ${d.integerEngine ? 'included' : 'not included (a matrix is at 32 bits)'}; compression ${(d.compression as number).toFixed(2)}x`);
      if (summary.format === 'c') {
        lines.push(`static buffers for ${d.maxFrames} frames; logits in Q${d.logitFrac}`);
        const test = d.test as { command: string } | undefined;
        if (test) lines.push(`check: cd ${opts.out} && ${test.command}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
