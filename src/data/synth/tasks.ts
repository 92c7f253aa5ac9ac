/**
 * The synthetic task generators. Each turns (rng, entity pool, knobs) into the facts
 * to hide in a document (with their relative positions), a question, the gold answer
 * and a reasoning trace. Document assembly and the token budget live in generate.ts.
 *
 * Tasks (scorers.md §14; data_source picks the reward: `docqa` sub-EM, `docmath`
 * numeric comparator, `choice` multiple choice):
 * - `kv`: the question names one key among `facts` key-value facts plus `nearMiss`
 *   facts whose keys differ from it in one letter (RULER multi-key NIAH with near-miss
 *   distractors). The demo's default matching task.
 * - `niah`: one fact (RULER single NIAH).
 * - `multivalue`: one key holds `values` values; answer them in document order (RULER).
 * - `multiquery`: the question names `queries` keys (RULER).
 * - `chain`: key chains of `hops` links (`a b.`, `b c.`, ... last link to a value)
 *   among `distractors` chains, one starting at a near-miss key (KeyChain-like). With
 *   hops 2 this is the demo's 2-hop task: the value of A is the key of B.
 * - `vt`: variable tracking (RULER VT): `VAR a = v.` then `VAR b = VAR a.` ... ; answer
 *   all variables holding the value, in chain order.
 * - `ledger`: coin deposits spread through the document; sum, difference or percent
 *   change of two entries (numeric answer, DocMath comparator).
 * - `choice`: `kv` asked as multiple choice over values present in the document.
 */
import type { Rng } from '../../util/rng.ts';
import { UserError } from '../../util/errors.ts';
import { CHOICE_LETTERS } from '../prompt.ts';
import { nearMissKeys, NUMBER_WORDS, type EntityPool } from './vocab.ts';
import {
  answerSentence,
  buildTrace,
  choiceSentence,
  factStep,
  kvFact,
  ledgerFact,
  varAssignFact,
  varCopyFact,
  type FactStyle,
  type TraceStyle,
} from './text.ts';

export const TASKS = ['kv', 'niah', 'multivalue', 'multiquery', 'chain', 'vt', 'ledger', 'choice'] as const;
export type TaskName = (typeof TASKS)[number];

export function isTaskName(s: string): s is TaskName {
  return (TASKS as readonly string[]).includes(s);
}

/** The reward routing key of each task. */
export function dataSourceOf(task: TaskName): string {
  if (task === 'ledger') return 'synth_docmath_ledger';
  if (task === 'choice') return 'synth_choice_kv';
  return `synth_docqa_${task}`;
}

/** Difficulty knobs (all tasks read the ones that apply to them). */
export interface TaskParams {
  /** Key-value facts in the document, the queried one included (kv, choice, multivalue, multiquery: other facts; ledger: entries). */
  facts: number;
  /**
   * When set, each record draws its fact count uniformly from [facts, factsMax]: a
   * curriculum over the number of facts inside one data set (issue 12).
   */
  factsMax: number | undefined;
  /** Links per chain (chain, vt). */
  hops: number;
  /** Near-miss distractors: facts (or a chain) whose key differs from the queried key in one letter. */
  nearMiss: number;
  /** Distractor chains (chain, vt). */
  distractors: number;
  /** Values of the one key (multivalue). */
  values: number;
  /** Keys asked about (multiquery). */
  queries: number;
  /** Options (choice), 2..4. */
  choices: number;
  /** Relative position in [0, 1] of the (first) evidence fact; undefined = uniform at random. */
  depth: number | undefined;
  factStyle: FactStyle;
  traceStyle: TraceStyle;
}

export const DEFAULT_TASK_PARAMS: TaskParams = {
  facts: 4,
  factsMax: undefined,
  hops: 2,
  nearMiss: 1,
  distractors: 3,
  values: 2,
  queries: 2,
  choices: 4,
  depth: undefined,
  factStyle: 'compact',
  traceStyle: 'copy',
};

/** A sentence to hide in the document at relative position `frac` in [0, 1]. */
export interface PlacedFact {
  text: string;
  frac: number;
  /** True for facts the answer depends on. */
  evidence: boolean;
}

export interface TaskInstance {
  task: TaskName;
  dataSource: string;
  facts: PlacedFact[];
  question: string;
  answer: string;
  answers?: string[];
  choices?: string[];
  trace: string;
  metadata: Record<string, unknown>;
}

/** Draws distinct entities, never the excluded ones. */
class Drawer {
  private readonly used = new Set<string>();
  constructor(
    private readonly rng: Rng,
    private readonly what: string,
  ) {}

  exclude(items: readonly string[]): void {
    for (const s of items) this.used.add(s);
  }

  draw(pool: readonly string[]): string {
    const free = pool.filter((s) => !this.used.has(s));
    if (free.length === 0) {
      throw new UserError(`synth: not enough ${this.what} in the entity pool (${pool.length}); lower --facts/--distractors/--hops`);
    }
    const s = this.rng.pick(free);
    this.used.add(s);
    return s;
  }
}

function evidenceFrac(rng: Rng, p: TaskParams): number {
  return p.depth !== undefined ? Math.min(1, Math.max(0, p.depth)) : rng.float();
}

/** n fractions, sorted ascending, the first at the evidence depth when given. */
function orderedFracs(rng: Rng, n: number, p: TaskParams): number[] {
  const first = evidenceFrac(rng, p);
  const rest = Array.from({ length: n - 1 }, () => first + rng.float() * (1 - first));
  return [first, ...rest.sort((a, b) => a - b)];
}

/** This record's fact count (a draw from [facts, factsMax] when a range is given). */
function factCount(rng: Rng, p: TaskParams): number {
  if (p.factsMax === undefined || p.factsMax <= p.facts) return p.facts;
  return rng.range(p.facts, p.factsMax);
}

function need(cond: boolean, msg: string): void {
  if (!cond) throw new UserError(`synth: ${msg}`);
}

function kvLike(rng: Rng, pool: EntityPool, p: TaskParams, nFacts: number, nearMiss: number) {
  const keys = new Drawer(rng, 'keys');
  const values = new Drawer(rng, 'values');
  const target = keys.draw(pool.keys);
  const misses = nearMissKeys(target);
  keys.exclude(misses);
  const value = values.draw(pool.values);
  const facts: PlacedFact[] = [{ text: kvFact(target, value, p.factStyle), frac: evidenceFrac(rng, p), evidence: true }];
  const others: { key: string; value: string }[] = [];
  for (let i = 0; i < Math.min(nearMiss, misses.length); i++) {
    const k = misses[i] as string;
    const v = values.draw(pool.values);
    others.push({ key: k, value: v });
  }
  for (let i = 1; i < nFacts; i++) others.push({ key: keys.draw(pool.keys), value: values.draw(pool.values) });
  for (const o of others) facts.push({ text: kvFact(o.key, o.value, p.factStyle), frac: rng.float(), evidence: false });
  return { target, value, facts, others };
}

function kv(rng: Rng, pool: EntityPool, p: TaskParams, task: 'kv' | 'niah'): TaskInstance {
  need(p.facts >= 1, '--facts must be at least 1');
  const nFacts = task === 'niah' ? 1 : factCount(rng, p);
  const nearMiss = task === 'niah' ? 0 : p.nearMiss;
  const { target, value, facts } = kvLike(rng, pool, p, nFacts, nearMiss);
  const fact = kvFact(target, value, p.factStyle);
  return {
    task,
    dataSource: dataSourceOf(task),
    facts,
    question: `What is the value of ${target}?`,
    answer: value,
    trace: buildTrace(p.traceStyle, target, [factStep(fact)], value, answerSentence(value)),
    metadata: { facts: nFacts, near_miss: Math.min(nearMiss, 3), key: target },
  };
}

function choice(rng: Rng, pool: EntityPool, p: TaskParams): TaskInstance {
  // The reward's MC regex reads letters A-D only (qwenlong-recipe.md §4).
  need(p.choices >= 2 && p.choices <= 4, '--choices must be in 2..4 (the multiple-choice reward reads A-D)');
  const nFacts = Math.max(factCount(rng, p), 1);
  const { target, value, facts, others } = kvLike(rng, pool, p, nFacts, p.nearMiss);
  // Wrong options are values present in the document first (so matching is needed), then fresh values.
  const wrong = rng.shuffle(others.map((o) => o.value)).slice(0, p.choices - 1);
  const used = new Set([value, ...others.map((o) => o.value)]);
  while (wrong.length < p.choices - 1) {
    const v = rng.pick(pool.values.filter((x) => !used.has(x)));
    used.add(v);
    wrong.push(v);
  }
  const options = rng.shuffle([value, ...wrong]);
  const letter = CHOICE_LETTERS[options.indexOf(value)] as string;
  const fact = kvFact(target, value, p.factStyle);
  return {
    task: 'choice',
    dataSource: dataSourceOf('choice'),
    facts,
    question: `What is the value of ${target}?`,
    answer: letter,
    choices: options,
    trace: buildTrace(p.traceStyle, target, [factStep(fact)], value, choiceSentence(letter)),
    metadata: { facts: nFacts, key: target, value },
  };
}

function multivalue(rng: Rng, pool: EntityPool, p: TaskParams): TaskInstance {
  need(p.values >= 1, '--values must be at least 1');
  const keys = new Drawer(rng, 'keys');
  const vals = new Drawer(rng, 'values');
  const target = keys.draw(pool.keys);
  const misses = nearMissKeys(target);
  keys.exclude(misses);
  const ownValues = Array.from({ length: p.values }, () => vals.draw(pool.values));
  const fracs = orderedFracs(rng, p.values, p);
  const own = ownValues.map((v, i) => ({ text: kvFact(target, v, p.factStyle), frac: fracs[i] as number, evidence: true }));
  const facts: PlacedFact[] = [...own];
  for (let i = 0; i < Math.min(p.nearMiss, misses.length); i++) {
    facts.push({ text: kvFact(misses[i] as string, vals.draw(pool.values), p.factStyle), frac: rng.float(), evidence: false });
  }
  const nOther = factCount(rng, p);
  for (let i = 1; i < nOther; i++) {
    facts.push({ text: kvFact(keys.draw(pool.keys), vals.draw(pool.values), p.factStyle), frac: rng.float(), evidence: false });
  }
  const answer = ownValues.join(', ');
  return {
    task: 'multivalue',
    dataSource: dataSourceOf('multivalue'),
    facts,
    question: `What are all the values of ${target}, in order?`,
    answer,
    trace: buildTrace(p.traceStyle, target, own.map((f) => factStep(f.text)), answer, answerSentence(answer)),
    metadata: { facts: nOther, values: p.values, key: target },
  };
}

function multiquery(rng: Rng, pool: EntityPool, p: TaskParams): TaskInstance {
  need(p.queries >= 2, '--queries must be at least 2');
  const keys = new Drawer(rng, 'keys');
  const vals = new Drawer(rng, 'values');
  const targets = Array.from({ length: p.queries }, () => keys.draw(pool.keys));
  const tv = targets.map(() => vals.draw(pool.values));
  const facts: PlacedFact[] = targets.map((k, i) => ({ text: kvFact(k, tv[i] as string, p.factStyle), frac: i === 0 ? evidenceFrac(rng, p) : rng.float(), evidence: true }));
  const nFacts = Math.max(factCount(rng, p), p.queries);
  for (let i = 0; i < nFacts - p.queries; i++) {
    facts.push({ text: kvFact(keys.draw(pool.keys), vals.draw(pool.values), p.factStyle), frac: rng.float(), evidence: false });
  }
  const answer = tv.join(', ');
  const names = targets.length === 2 ? `${targets[0]} and ${targets[1]}` : `${targets.slice(0, -1).join(', ')}, and ${targets[targets.length - 1]}`;
  return {
    task: 'multiquery',
    dataSource: dataSourceOf('multiquery'),
    facts,
    question: `What are the values of ${names}?`,
    answer,
    trace: buildTrace(p.traceStyle, names, targets.map((k, i) => factStep(kvFact(k, tv[i] as string, p.factStyle))), answer, answerSentence(answer)),
    metadata: { facts: nFacts, queries: p.queries, keys: targets },
  };
}

function chain(rng: Rng, pool: EntityPool, p: TaskParams): TaskInstance {
  need(p.hops >= 1 && p.hops < NUMBER_WORDS.length, `--hops must be in 1..${NUMBER_WORDS.length - 1}`);
  const keys = new Drawer(rng, 'keys');
  const vals = new Drawer(rng, 'values');
  const head = keys.draw(pool.keys);
  const misses = nearMissKeys(head);
  keys.exclude(misses);
  const makeChain = (start: string): { links: string[]; value: string } => {
    const links = [start];
    for (let h = 1; h < p.hops; h++) links.push(keys.draw(pool.keys));
    return { links, value: vals.draw(pool.values) };
  };
  const factsOf = (c: { links: string[]; value: string }): string[] =>
    c.links.map((k, i) => kvFact(k, i + 1 < c.links.length ? (c.links[i + 1] as string) : c.value, p.factStyle));
  const gold = makeChain(head);
  const goldFacts = factsOf(gold);
  const facts: PlacedFact[] = goldFacts.map((t, i) => ({ text: t, frac: i === 0 ? evidenceFrac(rng, p) : rng.float(), evidence: true }));
  for (let d = 0; d < p.distractors; d++) {
    const start = d < Math.min(p.nearMiss, misses.length) ? (misses[d] as string) : keys.draw(pool.keys);
    for (const t of factsOf(makeChain(start))) facts.push({ text: t, frac: rng.float(), evidence: false });
  }
  return {
    task: 'chain',
    dataSource: dataSourceOf('chain'),
    facts,
    question: `What is the value reached from ${head} in ${NUMBER_WORDS[p.hops]} steps?`,
    answer: gold.value,
    trace: buildTrace(p.traceStyle, head, goldFacts.map(factStep), gold.value, answerSentence(gold.value)),
    metadata: { hops: p.hops, distractors: p.distractors, key: head },
  };
}

function vt(rng: Rng, pool: EntityPool, p: TaskParams): TaskInstance {
  need(p.hops >= 1, '--hops must be at least 1');
  const keys = new Drawer(rng, 'keys');
  const vals = new Drawer(rng, 'values');
  const makeChain = (): { names: string[]; value: string; statements: string[] } => {
    const names = Array.from({ length: p.hops + 1 }, () => keys.draw(pool.keys));
    const value = vals.draw(pool.values);
    const statements = names.map((n, i) => (i === 0 ? varAssignFact(n, value) : varCopyFact(n, names[i - 1] as string)));
    return { names, value, statements };
  };
  const gold = makeChain();
  const fracs = orderedFracs(rng, gold.statements.length, p);
  const facts: PlacedFact[] = gold.statements.map((t, i) => ({ text: t, frac: fracs[i] as number, evidence: true }));
  for (let d = 0; d < p.distractors; d++) {
    const c = makeChain();
    const fr = orderedFracs(rng, c.statements.length, { ...p, depth: undefined });
    c.statements.forEach((t, i) => facts.push({ text: t, frac: fr[i] as number, evidence: false }));
  }
  const answer = gold.names.join(', ');
  return {
    task: 'vt',
    dataSource: dataSourceOf('vt'),
    facts,
    question: `Which variables are assigned the value ${gold.value}?`,
    answer,
    trace: buildTrace(p.traceStyle, gold.value, gold.statements.map(factStep), answer, answerSentence(answer)),
    metadata: { hops: p.hops, distractors: p.distractors, value: gold.value },
  };
}

/** A number as the answer shows it: at most 2 decimals, no trailing zeros. */
export function formatNumber(x: number): string {
  const r = Math.round(x * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

function ledger(rng: Rng, pool: EntityPool, p: TaskParams): TaskInstance {
  const keys = new Drawer(rng, 'accounts');
  const op = rng.pick(['sum', 'difference', 'percent'] as const);
  const a = keys.draw(pool.keys);
  const b = keys.draw(pool.keys);
  const days = rng.sample(30, 2).map((d) => d + 1).sort((x, y) => x - y);
  const d1 = days[0] as number;
  const d2 = days[1] as number;
  let evidence: { day: number; account: string; amount: number }[];
  let question: string;
  let expr: string;
  let value: number;
  if (op === 'percent') {
    const x1 = rng.range(10, 99);
    let x2 = rng.range(10, 99);
    if (x2 === x1) x2 = x1 === 99 ? 98 : x1 + 1;
    evidence = [
      { day: d1, account: a, amount: x1 },
      { day: d2, account: a, amount: x2 },
    ];
    question = `By what percent did the amount received by account ${a} change from day ${d1} to day ${d2}?`;
    value = ((x2 - x1) / x1) * 100;
    expr = `(${x2} - ${x1}) / ${x1} * 100 = ${formatNumber(value)}.`;
  } else {
    const x1 = rng.range(11, 99);
    const x2 = op === 'difference' ? rng.range(10, x1 - 1) : rng.range(10, 99);
    evidence = [
      { day: d1, account: a, amount: x1 },
      { day: d2, account: b, amount: x2 },
    ];
    if (op === 'sum') {
      question = `How many coins did accounts ${a} and ${b} receive in total?`;
      value = x1 + x2;
      expr = `${x1} + ${x2} = ${value}.`;
    } else {
      question = `How many more coins did account ${a} receive than account ${b}?`;
      value = x1 - x2;
      expr = `${x1} - ${x2} = ${value}.`;
    }
  }
  const fracs = orderedFracs(rng, evidence.length, p);
  const facts: PlacedFact[] = evidence.map((e, i) => ({ text: ledgerFact(e.day, e.account, e.amount), frac: fracs[i] as number, evidence: true }));
  // Distractor entries belong to other accounts, so the question stays unambiguous.
  const nEntries = Math.max(factCount(rng, p), evidence.length);
  for (let i = evidence.length; i < nEntries; i++) {
    facts.push({ text: ledgerFact(rng.range(1, 30), keys.draw(pool.keys), rng.range(10, 99)), frac: rng.float(), evidence: false });
  }
  const answer = formatNumber(value);
  const steps = [...evidence.map((e) => factStep(ledgerFact(e.day, e.account, e.amount))), `Compute: ${expr}`];
  return {
    task: 'ledger',
    dataSource: dataSourceOf('ledger'),
    facts,
    question,
    answer,
    trace: buildTrace(p.traceStyle, a, steps, answer, answerSentence(answer)),
    metadata: { op, facts: nEntries },
  };
}

/** Builds one task instance. */
export function makeTask(task: TaskName, rng: Rng, pool: EntityPool, params: TaskParams): TaskInstance {
  switch (task) {
    case 'kv':
    case 'niah':
      return kv(rng, pool, params, task);
    case 'choice':
      return choice(rng, pool, params);
    case 'multivalue':
      return multivalue(rng, pool, params);
    case 'multiquery':
      return multiquery(rng, pool, params);
    case 'chain':
      return chain(rng, pool, params);
    case 'vt':
      return vt(rng, pool, params);
    case 'ledger':
      return ledger(rng, pool, params);
  }
}
