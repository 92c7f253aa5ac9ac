/**
 * `longrl serve --model DIR [--port P] [--host H] [--api-key K] [--served-model-name NAME]
 * [--threads N] [--max-model-len L] [--batch-window-ms MS] [--seed S] [--tinker]`:
 * an OpenAI-compatible server (/v1/models, /v1/completions, /v1/chat/completions, /health,
 * /stats) over a local model folder. Listens on 127.0.0.1 unless --host; a non-loopback
 * host needs --api-key (clients send `Authorization: Bearer KEY`).
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { startServer } from '../../serve/index.ts';

interface ServeOpts {
  model: string; port: string; host: string; apiKey?: string; servedModelName?: string; threads?: string;
  maxModelLen?: string; batchWindowMs: string; seed: string; tinker?: boolean; maxTokens: string;
}

function int(v: string, flag: string, min: number): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new UserError(`${flag} must be an integer >= ${min}, got "${v}"`);
  return x;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('OpenAI-compatible HTTP server over a model folder')
    .requiredOption('--model <dir>', 'Hugging Face model folder')
    .option('--port <p>', 'port (0: any free one)', '8000')
    .option('--host <h>', 'address to listen on (non-loopback needs --api-key)', '127.0.0.1')
    .option('--api-key <k>', 'require "Authorization: Bearer K"')
    .option('--served-model-name <name>', 'the model name clients use (default: the folder name)')
    .option('--threads <n>', 'kernel worker threads')
    .option('--max-model-len <n>', 'context window (default: config max_position_embeddings)')
    .option('--max-tokens <n>', 'chat max_tokens when a request gives none', '256')
    .option('--batch-window-ms <ms>', 'how long a request waits to be batched with others', '5')
    .option('--seed <s>', 'seed of requests that give none', '0')
    .option('--tinker', 'also serve the Tinker-compatible API under /api/v1/')
    .action(async (o: ServeOpts) => {
      const running = await startServer({
        model: o.model, port: int(o.port, '--port', 0), host: o.host,
        ...(o.apiKey ? { apiKey: o.apiKey } : {}),
        ...(o.servedModelName ? { name: o.servedModelName } : {}),
        ...(o.threads ? { threads: int(o.threads, '--threads', 1) } : {}),
        ...(o.maxModelLen ? { maxModelLen: int(o.maxModelLen, '--max-model-len', 1) } : {}),
        defaultMaxTokens: int(o.maxTokens, '--max-tokens', 1),
        batchWindowMs: int(o.batchWindowMs, '--batch-window-ms', 0), seed: int(o.seed, '--seed', 0),
        ...(o.tinker ? { tinker: true } : {}),
      });
      process.stdout.write(`longrl serve: model "${running.model.name}" at ${running.url}/v1\n`);
      await new Promise<void>((resolve) => {
        const stop = () => { void running.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
