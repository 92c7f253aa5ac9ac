export { crc32c, maskCrc, maskedCrc32c } from './crc32c.ts';
export {
  TensorBoardWriter,
  readEventFile,
  findEventFiles,
  eventFileName,
  encodeEvent,
  decodeEvent,
  encodeRecord,
  decodeRecords,
  FILE_VERSION,
  type TbEvent,
  type TbScalar,
} from './tensorboard.ts';
export {
  MetricsLog,
  METRICS_FILE,
  PHASES,
  canonicalLine,
  readMetrics,
  withoutWallClock,
  isWallClockKey,
  isAfter,
  tensorboardTag,
  type RunPhase,
  type MetricsLine,
  type MetricValue,
  type StepInput,
  type ResumePoint,
  type MetricsLogOptions,
} from './metrics-log.ts';
export { ProgressBar, formatProgress, formatDuration, formatSeconds, formatRate, type ProgressOptions, type ProgressStream, type ProgressState } from './progress.ts';
export { formatStepSummary, formatMetric } from './step-summary.ts';
export { METRIC_ALIASES, TIMING_PARTS, pickKey, pickValue, timingSplit, type MetricRole } from './metric-names.ts';
export { chartSvg, lineChartSvg, svgToPng, type ChartSeries, type ChartPanel, type VRule, type ChartOptions } from './charts.ts';
export { niceAxis, niceStep, formatTick, rollingMean, defaultWindow, type ChartAxis } from './scales.ts';
export { writeReport, buildReport, mainChartSvg, type ReportOptions, type WriteReportOptions, type WrittenReport } from './report.ts';
export { loadRun, readSamples, parseResults, parseAblation, parseMetricsText, type RunFolder, type ResultsRow, type AblationRow } from './run-data.ts';
export { pivotResults, formatResultsText, headline, modelRank, compareModels, type EvalTable, type EvalCell } from './eval-table.ts';
export { watchReport, inputStamp, type WatchOptions } from './watch.ts';
export { decimate } from './charts.ts';
export { stageRules, perStage, byBaseline, pointsOf, keyFor } from './metric-series.ts';
export { compareSection, runNames } from './compare.ts';
