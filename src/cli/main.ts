/**
 * The `longrl` command line: a table of subcommands, each in its own file under
 * `src/cli/commands/`, loaded only when it runs so `longrl --help` stays fast.
 *
 * A command module exports `register(program: Command): void`, which declares the
 * subcommand, its options and its action on the given commander program.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors.ts';

interface CommandEntry {
  /** Subcommand name as typed by the user (first word only). */
  name: string;
  /** One line for `longrl --help`. */
  summary: string;
  /** Module file under src/cli/commands/, without extension. */
  module: string;
}

/** Every command longrl has, in the order `--help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'demo', summary: 'run the embedded recipe end to end on a tiny model (SFT, phased RL, eval)', module: 'demo' },
  { name: 'train', summary: 'run a recipe: SFT warm-up, curriculum RL stages, evaluation', module: 'train' },
  { name: 'ablate', summary: 'run recipe variants at equal compute over several seeds', module: 'ablate' },
  { name: 'pretrain', summary: 'next-token pretraining on synthetic documents', module: 'pretrain' },
  { name: 'init-model', summary: 'write a from-scratch Qwen model folder (config, weights, tokenizer)', module: 'init-model' },
  { name: 'export', summary: 'export a model folder (safetensors, gguf)', module: 'export' },
  { name: 'logprobs', summary: 'per-token log-probabilities of a text or token ids', module: 'logprobs' },
  { name: 'generate', summary: 'sample completions from a model', module: 'generate' },
  { name: 'tokenize', summary: 'encode text or a chat with a model tokenizer', module: 'tokenize' },
  { name: 'reward', summary: 'score responses with the hybrid reward (rule, judge, shaping)', module: 'reward' },
  { name: 'score', summary: 'score a predictions file with a reference metric', module: 'score' },
  { name: 'eval', summary: 'evaluate a model on DocQA benchmarks', module: 'eval' },
  { name: 'serve', summary: 'OpenAI-compatible (and Tinker-compatible) server for a model', module: 'serve' },
  { name: 'data', summary: 'data tools: synthesise long-context tasks, convert formats', module: 'data' },
  { name: 'mine', summary: 'offline difficulty mining: sample G responses per record and score them', module: 'mine' },
  { name: 'distill', summary: 'warm-up SFT data from a teacher with rejection sampling', module: 'distill' },
  { name: 'report', summary: 'write the HTML report and charts of a run folder', module: 'report' },
  { name: 'engine', summary: 'show the compute backend, CPU features and threads', module: 'engine' },
];

const commandsDir = fileURLToPath(new URL('./commands/', import.meta.url));

function available(entry: CommandEntry): boolean {
  return existsSync(`${commandsDir}${entry.module}.ts`) || existsSync(`${commandsDir}${entry.module}.js`);
}

/** Builds the program with the commands that exist in this checkout. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('longrl')
    .description('Reinforcement learning for long-document reasoning (QwenLong-L1 recipe)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const wanted = argv.find((a) => !a.startsWith('-'));
  for (const entry of COMMANDS) {
    if (!available(entry)) continue;
    if (wanted === entry.name) {
      const mod = (await import(`./commands/${entry.module}.ts`)) as { register(p: Command): void };
      mod.register(program);
    } else {
      // Declared with its summary only, so `--help` lists it without loading it.
      program.command(entry.name).description(entry.summary).allowUnknownOption().helpOption(false);
    }
  }
  return program;
}

/** Runs the CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof UserError) {
      process.stderr.write(`longrl: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
