/**
 * `longrl export --model DIR --format gguf|safetensors --out PATH [--dtype f32|f16|bf16]
 * [--max-shard-bytes N]`: a GGUF file for llama.cpp / Ollama (default F16 weights, as
 * llama.cpp's converter), or a Hugging Face model folder (default: the source's dtype).
 */
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { readModelFolder, writeModelFolder } from '../../model/folder.ts';
import { writeGguf } from '../../model/gguf.ts';
import type { StDtype } from '../../model/safetensors.ts';
import { parseDtypeOption } from './init-model.ts';

const FROM_TORCH: Record<string, StDtype> = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' };

export function register(program: Command): void {
  program
    .command('export')
    .description('export a model folder (safetensors, gguf)')
    .requiredOption('--model <dir>', 'model folder (config.json + safetensors)')
    .requiredOption('--format <format>', 'gguf or safetensors')
    .requiredOption('--out <path>', 'output file (gguf) or folder (safetensors)')
    .option('--dtype <dtype>', 'weight type: f32, f16 or bf16 (gguf default f16; safetensors default: the source dtype)')
    .option('--max-shard-bytes <n>', 'safetensors: shard above this many bytes (default 5e9)')
    .action((opts: { model: string; format: string; out: string; dtype?: string; maxShardBytes?: string }) => {
      if (opts.format !== 'gguf' && opts.format !== 'safetensors') {
        throw new UserError(`--format must be gguf or safetensors, got "${opts.format}"`);
      }
      if (resolve(opts.out) === resolve(opts.model)) throw new UserError('--out must differ from --model');
      const m = readModelFolder(opts.model);
      const dtype = opts.dtype !== undefined ? parseDtypeOption(opts.dtype, ['F32', 'F16', 'BF16']) : undefined;
      if (opts.format === 'gguf') {
        if (!m.tokenizerJson) process.stderr.write(`warning: ${opts.model} has no tokenizer.json; the GGUF carries no vocabulary\n`);
        const r = writeGguf(opts.out, {
          config: m.config,
          weights: m.weights,
          ...(m.tokenizerJson ? { tokenizerJson: m.tokenizerJson } : {}),
          ...(m.tokenizerConfig ? { tokenizerConfig: m.tokenizerConfig } : {}),
          dtype: dtype ?? 'F16',
        });
        process.stdout.write(`${JSON.stringify({ format: 'gguf', out: opts.out, tensors: r.tensors, bytes: r.bytes, dtype: (dtype ?? 'F16').toLowerCase() })}\n`);
        return;
      }
      let maxShardBytes: number | undefined;
      if (opts.maxShardBytes !== undefined) {
        maxShardBytes = Number(opts.maxShardBytes);
        if (!(maxShardBytes > 0)) throw new UserError(`--max-shard-bytes must be a positive number, got "${opts.maxShardBytes}"`);
      }
      const d = dtype ?? FROM_TORCH[m.config.torchDtype] ?? 'F32';
      writeModelFolder(opts.out, { ...m, dtype: d, ...(maxShardBytes !== undefined ? { maxShardBytes } : {}) });
      // Files readModelFolder does not model (chat_template.jinja, special_tokens_map.json) travel as they are.
      for (const f of ['chat_template.jinja', 'special_tokens_map.json']) {
        if (existsSync(join(opts.model, f))) copyFileSync(join(opts.model, f), join(opts.out, f));
      }
      let bytes = 0;
      try {
        bytes = statSync(resolve(opts.out, 'model.safetensors')).size;
      } catch {
        bytes = 0; // sharded
      }
      process.stdout.write(`${JSON.stringify({ format: 'safetensors', out: opts.out, tensors: m.weights.size, bytes, dtype: d.toLowerCase() })}\n`);
    });
}
