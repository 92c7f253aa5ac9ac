/**
 * An error the user can act on: the message says what was wrong, where (file, line,
 * field) and what to do. The CLI prints it without a stack trace and exits with 2.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Formats a location as `file:line` or `file` (line is 1-based). */
export function where(file: string, line?: number, field?: string): string {
  let s = file;
  if (line !== undefined) s += `:${line}`;
  if (field !== undefined) s += ` field "${field}"`;
  return s;
}
