/**
 * `--set key.path=value` overrides for recipe files, applied to the parsed YAML before
 * validation so that the schema checks the result. Values are parsed as YAML scalars
 * (`--set rl.lr=3e-4`, `--set eval.lengths=[512,1024]`, `--set judge=null`).
 */
import { parse as parseYaml } from 'yaml';
import { UserError } from '../util/errors.ts';

/** Applies one `a.b.c=value` override in place; creates missing objects on the way. */
export function applyOverride(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UserError(`--set expects key.path=value, got "${assignment}"`);
  const path = assignment.slice(0, eq).trim().split('.');
  if (path.some((p) => p === '')) throw new UserError(`--set: empty segment in key path "${assignment.slice(0, eq)}"`);
  let value: unknown;
  try {
    value = parseYaml(assignment.slice(eq + 1));
  } catch (err) {
    throw new UserError(`--set ${assignment}: value is not valid YAML: ${(err as Error).message}`);
  }
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    } else if (typeof next === 'object' && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      throw new UserError(`--set ${assignment}: "${key}" is not an object in the recipe`);
    }
  }
  node[path[path.length - 1] as string] = value;
}

export function applyOverrides(target: Record<string, unknown>, assignments: readonly string[]): void {
  for (const a of assignments) applyOverride(target, a);
}
