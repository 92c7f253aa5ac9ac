export { Rng, hash32, type RngState } from './rng.ts';
export { UserError } from './errors.ts';
export { writeFileAtomic, writeFileAtomicStream, writeJsonAtomic, readJsonFile } from './fsx.ts';
export { readJsonl, appendJsonl, JsonlWriter } from './jsonl.ts';
export { normalizeAnswer, pySplit, pyStrip, removeArticles, removePunctuation, PY_PUNCTUATION } from './pytext.ts';
