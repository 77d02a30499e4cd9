import type { Command } from 'commander';
import { choiceFlag } from '../flags.js';

interface ImportTorchOptions {
  cell: 'lstm' | 'gru' | 'sru' | 'ligru';
  weights: string[];
  out: string;
  fc?: string;
  unidirectional?: boolean;
  skipTerm: boolean;
  name?: string;
  dtype: 'F32' | 'F16' | 'BF16';
  json?: boolean;
}

interface ImportOnnxOptions {
  model: string;
  out: string;
  name?: string;
  dtype: 'F32' | 'F16' | 'BF16';
  json?: boolean;
}

/**
 * `mohaq import torch`: converts a PyTorch state_dict (safetensors) into a mohaq model file, inferring
 * layers, sizes and directions from tensor names and shapes. `mohaq import onnx`: converts an LSTM/GRU
 * graph as torch.onnx.export writes it (src/export/onnx-import.ts).
 */
export function register(program: Command): void {
  const imp = program.command('import').description('convert trained weights from another toolkit into a mohaq model file');
  imp
    .command('torch')
    .description('convert a PyTorch state_dict saved with safetensors.torch.save_file (torch.nn.LSTM/GRU, the sru package, a final torch.nn.Linear)')
    .requiredOption('--cell <type>', 'recurrent cell: lstm, gru, sru or ligru', choiceFlag('--cell', ['lstm', 'gru', 'sru', 'ligru'] as const))
    .requiredOption('--weights <files...>', 'safetensors file(s) with the state_dict (several files are merged)')
    .requiredOption('--out <model>', 'model file to write (.safetensors)')
    .option('--fc <prefix>', 'prefix of the output torch.nn.Linear when several fit (e.g. "fc." for fc.weight, fc.bias)')
    .option('--unidirectional', 'SRU: the layers are unidirectional (sru state_dicts do not say; default bidirectional)')
    .option('--no-skip-term', 'SRU: layers with equal input and output sizes have no highway skip term')
    .option('--name <name>', 'architecture name stored in the model (default <cell>-torch)')
    .option('--dtype <type>', 'storage type of the parameters: F32, F16 or BF16', choiceFlag('--dtype', ['F32', 'F16', 'BF16'] as const), 'F32')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nPyTorch side:\n  from safetensors.torch import save_file\n  save_file(model.state_dict(), "state.safetensors")\n\nExamples:\n  mohaq import torch --cell lstm --weights state.safetensors --out lstm.safetensors\n  mohaq import torch --cell sru --weights sru.safetensors mlp.safetensors --fc mlp.wx.0. --out sru.safetensors',
    )
    .action(async (opts: ImportTorchOptions) => {
      const { importTorch } = await import('../../nn/import-torch.js');
      const { saveModel } = await import('../../nn/io.js');
      const { statSync } = await import('node:fs');
      const result = importTorch({
        cell: opts.cell,
        files: opts.weights,
        fc: opts.fc,
        bidirectional: !opts.unidirectional,
        skipTerm: opts.skipTerm,
        name: opts.name,
      });
      const { model } = result;
      saveModel(opts.out, model, { dtype: opts.dtype });
      const bytes = statSync(opts.out).size;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ out: opts.out, bytes, parameters: model.layout.total, architecture: model.spec, used: result.used, ignored: result.ignored }, null, 2)}\n`);
        return;
      }
      const n = model.arch.layers.length;
      const lines = [`${model.arch.name}: ${n} ${opts.cell.toUpperCase()} layer${n > 1 ? 's' : ''}, ${model.arch.input} inputs -> ${model.arch.output} outputs, ${model.layout.total.toLocaleString('en-US')} parameters`];
      for (const l of model.arch.layers) {
        const extra = l.type === 'sru' ? `${l.projection !== null ? `, projection ${l.projection}` : ''}${l.skipTerm ? `, skip term${l.inputGates === 4 ? ' (4th matrix)' : ''}` : ''}` : l.type === 'gru' ? `, ${l.gru} convention` : '';
        lines.push(`  L${l.index}  ${l.type} ${l.hidden} units x ${l.directions} direction${l.directions === 2 ? 's' : ''}, input ${l.inputSize}${extra}`);
      }
      lines.push(`  FC  ${model.sites.fc.k} -> ${model.arch.output}`);
      lines.push(`wrote ${opts.out} (${(bytes / 1048576).toFixed(2)} MiB, ${opts.dtype})`);
      if (result.ignored.length) lines.push(`ignored ${result.ignored.length} tensor${result.ignored.length > 1 ? 's' : ''} not part of the model: ${result.ignored.slice(0, 8).join(', ')}${result.ignored.length > 8 ? ', ...' : ''}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  imp
    .command('onnx')
    .description('convert an LSTM/GRU ONNX graph as torch.onnx.export writes it (LSTM/GRU nodes, layout glue, MatMul/Gemm output layer)')
    .requiredOption('--model <file>', 'ONNX model (.onnx)')
    .requiredOption('--out <model>', 'model file to write (.safetensors)')
    .option('--name <name>', 'architecture name stored in the model (default: the graph name)')
    .option('--dtype <type>', 'storage type of the parameters: F32, F16 or BF16', choiceFlag('--dtype', ['F32', 'F16', 'BF16'] as const), 'F32')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nPyTorch side:\n  torch.onnx.export(model, torch.zeros(T, 1, 23), "model.onnx", dynamic_axes={...})\n\nExample:\n  mohaq import onnx --model lstm.onnx --out lstm.safetensors')
    .action(async (opts: ImportOnnxOptions) => {
      const { importOnnx } = await import('../../export/onnx-import.js');
      const { saveModel } = await import('../../nn/io.js');
      const { statSync } = await import('node:fs');
      const result = importOnnx(opts.model, { name: opts.name });
      const { model } = result;
      saveModel(opts.out, model, { dtype: opts.dtype });
      const bytes = statSync(opts.out).size;
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ out: opts.out, bytes, parameters: model.layout.total, architecture: model.spec, layers: result.layers, batchFirst: result.batchFirst, dropped: result.dropped, checkDifference: result.checkDifference }, null, 2)}\n`);
        return;
      }
      const lines = [`${model.arch.name}: ${result.layers.length} ${result.layers[0]!.op} layer${result.layers.length > 1 ? 's' : ''}, ${model.arch.input} inputs -> ${model.arch.output} outputs, ${model.layout.total.toLocaleString('en-US')} parameters${result.batchFirst ? ' (batch-first input)' : ''}`];
      for (const [i, l] of result.layers.entries()) lines.push(`  L${i}  ${l.op} node "${l.node}": ${l.hidden} units x ${l.directions} direction${l.directions === 2 ? 's' : ''}${l.convention ? `, ${l.convention} convention` : ''}`);
      lines.push(`  FC  ${model.sites.fc.k} -> ${model.arch.output}${result.dropped.length ? ` (the ${result.dropped.join(', ')} after it is dropped: mohaq works with logits)` : ''}`);
      lines.push(`checked: the graph and the imported model agree to ${result.checkDifference.toExponential(1)} on a random input`);
      lines.push(`wrote ${opts.out} (${(bytes / 1048576).toFixed(2)} MiB, ${opts.dtype})`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}