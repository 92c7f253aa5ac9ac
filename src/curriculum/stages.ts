/**
 * Curriculum stages by input length (qwenlong-recipe.md §9, L1-paper Eq. 9): K stages
 * with bounds L_0 = 0 < L_1 < ... < L_K; stage k trains on items whose length (tokens
 * of the rendered prompt) lies in (L_{k-1}, L_k]. Each stage has an output cap and a
 * length in optimizer steps or in epochs over its pool.
 */
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

/**
 * A stage. Extra keys are dropped here (a recipe's stage may carry more settings, which
 * the recipe's own strict schema checks); `StageSchema.strict()` rejects them.
 */
export const StageSchema = z
  .object({
    /** Upper bound L_k of the stage's input length, in tokens (inclusive). */
    maxInputTokens: z.number().int().positive(),
    /** Cap on generated tokens in this stage. */
    maxOutputTokens: z.number().int().positive(),
    /** Optimizer steps in the stage (exclusive with `epochs`). */
    steps: z.number().int().positive().optional(),
    /** Passes over the stage's pool (exclusive with `steps`). */
    epochs: z.number().positive().optional(),
  });

export type Stage = z.infer<typeof StageSchema>;

/** Checks the stage list: bounds strictly increasing, exactly one of steps/epochs. */
export function validateStages(stages: readonly Stage[], where = 'curriculum.stages'): Stage[] {
  if (stages.length === 0) throw new UserError(`${where}: at least one stage is needed`);
  const out: Stage[] = [];
  stages.forEach((s, k) => {
    const res = StageSchema.safeParse(s);
    if (!res.success) {
      const issue = res.error.issues[0];
      throw new UserError(`${where}[${k}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message}`);
    }
    if ((s.steps === undefined) === (s.epochs === undefined)) throw new UserError(`${where}[${k}]: give exactly one of "steps" or "epochs"`);
    if (k > 0 && s.maxInputTokens <= (stages[k - 1] as Stage).maxInputTokens) {
      throw new UserError(`${where}[${k}].maxInputTokens: ${s.maxInputTokens} must be greater than the previous stage's ${(stages[k - 1] as Stage).maxInputTokens}`);
    }
    out.push(res.data);
  });
  return out;
}

/** The stage index of an input length, or -1 when it exceeds the last bound (or is < 1). */
export function stageOfLength(length: number, stages: readonly Stage[]): number {
  if (!(length > 0)) return -1;
  for (let k = 0; k < stages.length; k++) if (length <= (stages[k] as Stage).maxInputTokens) return k;
  return -1;
}

export interface LengthItem {
  id: string;
  /** Rendered prompt tokens. */
  length: number;
}

/** Item ids per stage, in input order; `dropped` are longer than the last bound. */
export function bucketByStage<T extends LengthItem>(items: readonly T[], stages: readonly Stage[]): { buckets: T[][]; dropped: T[] } {
  const buckets: T[][] = stages.map(() => []);
  const dropped: T[] = [];
  for (const it of items) {
    const k = stageOfLength(it.length, stages);
    if (k < 0) dropped.push(it);
    else (buckets[k] as T[]).push(it);
  }
  return { buckets, dropped };
}

/** Steps of a stage: its `steps`, or ceil(epochs · pool / batch). */
export function stageSteps(stage: Stage, poolSize: number, batchSize: number): number {
  if (stage.steps !== undefined) return stage.steps;
  return Math.max(1, Math.ceil(((stage.epochs ?? 1) * poolSize) / batchSize));
}
