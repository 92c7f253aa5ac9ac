/**
 * Distillation of warm-up SFT data from a teacher with rejection sampling (issue 9):
 * `distill()` and its parts.
 */
export { distill, summaryPath, type DistillOptions, type DistillResult } from './run.ts';
export { parseTeacherSpec, TeacherError, type Teacher, type TeacherReply, type TeacherRequest, type TeacherResult, type TeacherSpec } from './teacher.ts';
export { createOpenAITeacher, parseChatCompletion, TEACHER_COUNTERS, type OpenAITeacherOptions } from './openai-teacher.ts';
export { createLocalTeacher, type LocalTeacher, type LocalTeacherOptions } from './local-teacher.ts';
export { splitReply, qwenlongTrace, type SplitReply, type ReasoningFormat } from './reasoning.ts';
export { scoreReplies, pickShortestCorrect, sftRecords, OUTCOMES, type Candidate, type Outcome, type SelectOptions, type TeacherInfo } from './select.ts';
export { journalPath, readJournal, openJournal, type JournalEntry, type JournalHeader } from './journal.ts';
export { summarizeDistill, formatSummaryTable, linearPercentile, lengthStats, type DistillSummary, type SourceStats, type LengthStats } from './summary.ts';
