/** Evaluation: the reference scorers and file scoring (`longrl score`). */
export * from './metrics/index.ts';
export {
  scoreFile,
  formatScoreTable,
  DEFAULT_PRED_FIELDS,
  DEFAULT_GOLD_FIELDS,
  type ScoreFileOptions,
  type ScoreFileResult,
} from './score-file.ts';
