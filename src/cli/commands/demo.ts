/**
 * `longrl demo`: the embedded default run. Until the recipe runner lands (issue 7) it
 * states what it will do.
 */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the embedded recipe end to end on a tiny model (SFT, phased RL, eval)')
    .option('--size <size>', 'tiny (smoke-test scale) or full', 'full')
    .option('--out <dir>', 'run folder')
    .option('--seed <n>', 'random seed', '1')
    .option('--resume <dir>', 'continue a run folder')
    .action(() => {
      process.stdout.write(
        [
          'longrl demo will: create a small Qwen model from scratch, synthesise long-context retrieval data,',
          'run warm-up SFT on short documents, run two RL stages of growing length with retrospective',
          'sampling and the hybrid reward, and evaluate base / SFT / SFT-continued / RL at each length.',
          'The recipe runner is not in this build yet.',
          '',
        ].join('\n'),
      );
    });
}
