/**
 * `longrl tokenize --tokenizer DIR (--text T | --text-file F | --messages-file M
 * [--no-generation-prompt])` prints `{"text", "ids"}` (contracts §4): plain text encoded
 * as `tokenizer.encode(text, add_special_tokens=False)`; messages rendered as
 * `apply_chat_template(messages, tokenize=False, add_generation_prompt=True)` and encoded.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { loadTokenizer } from '../../tokenizer/load.ts';
import type { ChatMessage } from '../../tokenizer/chat-template.ts';

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Parses and checks a JSON list of {role, content}. */
export function parseMessages(text: string, source: string): ChatMessage[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(v)) throw new UserError(`${source}: expected a JSON list of {role, content}`);
  return v.map((m, i) => {
    const o = m as { role?: unknown; content?: unknown };
    if (typeof o !== 'object' || o === null || typeof o.role !== 'string' || typeof o.content !== 'string') {
      throw new UserError(`${source}: message ${i} must be {"role": string, "content": string}`);
    }
    return { ...(o as Record<string, unknown>), role: o.role, content: o.content };
  });
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('encode text or a chat with a model tokenizer')
    .requiredOption('--tokenizer <dir>', 'folder with tokenizer.json (and tokenizer_config.json)')
    .option('--text <text>', 'text to encode')
    .option('--text-file <file>', 'UTF-8 file to encode')
    .option('--messages-file <file>', 'JSON list of {role, content}, rendered with the chat template')
    .option('--no-generation-prompt', 'with --messages-file: do not append the assistant prompt')
    .option('--enable-thinking <bool>', 'with --messages-file: pass enable_thinking=true|false to the template')
    .action((opts: { tokenizer: string; text?: string; textFile?: string; messagesFile?: string; generationPrompt: boolean; enableThinking?: string }) => {
      const given = [opts.text, opts.textFile, opts.messagesFile].filter((x) => x !== undefined).length;
      if (given !== 1) throw new UserError('give exactly one of --text, --text-file, --messages-file');
      const tok = loadTokenizer(opts.tokenizer);
      let text: string;
      if (opts.messagesFile !== undefined) {
        const messages = parseMessages(readText(opts.messagesFile, '--messages-file'), opts.messagesFile);
        let enableThinking: boolean | undefined;
        if (opts.enableThinking !== undefined) {
          if (opts.enableThinking !== 'true' && opts.enableThinking !== 'false') {
            throw new UserError(`--enable-thinking must be true or false, got "${opts.enableThinking}"`);
          }
          enableThinking = opts.enableThinking === 'true';
        }
        text = tok.applyChatTemplate(messages, {
          addGenerationPrompt: opts.generationPrompt,
          ...(enableThinking !== undefined ? { enableThinking } : {}),
        });
      } else if (opts.textFile !== undefined) {
        text = readText(opts.textFile, '--text-file');
      } else {
        text = opts.text as string;
      }
      process.stdout.write(`${JSON.stringify({ text, ids: tok.encode(text) })}\n`);
    });
}
