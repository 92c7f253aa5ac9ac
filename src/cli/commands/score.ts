/**
 * `longrl score`: scores an existing predictions file with a reference metric and prints
 * the per-group and overall scores on the 0–100 scale (contracts.md §4).
 */
import type { Command } from 'commander';
import { formatScoreTable, scoreFile } from '../../eval/score-file.ts';
import { METRICS } from '../../eval/metrics/registry.ts';

interface ScoreFlags {
  metric: string;
  input: string;
  predField?: string;
  goldField?: string;
  byField?: string;
  judgeField?: string;
  taskField?: string;
  firstLine?: boolean;
  firstLineCut?: boolean;
  lengthBuckets?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const names = [...METRICS.keys(), 'longbench'].join(', ');
  program
    .command('score')
    .description('score a predictions file with a reference metric')
    .requiredOption('--metric <name>', `metric: ${names}`)
    .requiredOption('--input <file>', 'predictions, one JSON object per line')
    .option('--pred-field <field>', 'prediction field (default: "prediction" or "pred", whichever exists)')
    .option('--gold-field <field>', 'gold field (default: "answers", "gold", "answer" or "ground_truth"); a string, a list (max over it) or {"answers", "all_classes"}')
    .option('--by-field <field>', 'also report scores per value of this field (e.g. task)')
    .option('--judge-field <field>', 'judge verdict per item (0-1, boolean, or reply text: YES counts); qwenlong_qa and docmath take max(rule, judge)')
    .option('--task-field <field>', 'with --metric longbench: the field naming the LongBench task', 'dataset')
    .option('--first-line', 'cut every prediction to its first line before scoring')
    .option('--no-first-line-cut', 'with --metric longbench: skip the first-line cut of trec/triviaqa/samsum/lsht (as MiniLongBench does)')
    .option('--length-buckets', 'LongBench-E: group by the "length" field in buckets 0-4k / 4-8k / 8k+ (under --by-field when given)')
    .option('--json', 'print {"overall", "groups", "count"} as JSON')
    .action((flags: ScoreFlags) => {
      const res = scoreFile({
        metric: flags.metric,
        input: flags.input,
        ...(flags.predField !== undefined && { predField: flags.predField }),
        ...(flags.goldField !== undefined && { goldField: flags.goldField }),
        ...(flags.byField !== undefined && { byField: flags.byField }),
        ...(flags.judgeField !== undefined && { judgeField: flags.judgeField }),
        ...(flags.taskField !== undefined && { taskField: flags.taskField }),
        firstLine: flags.firstLine === true,
        noFirstLineCut: flags.firstLineCut === false,
        lengthBuckets: flags.lengthBuckets === true,
      });
      if (flags.json) {
        const out = { overall: nanToNull(res.overall), groups: Object.fromEntries(Object.entries(res.groups).map(([k, v]) => [k, nanToNull(v)])), count: res.count };
        process.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        process.stdout.write(formatScoreTable(res, flags.metric, res.groupCounts));
      }
    });
}

function nanToNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}
