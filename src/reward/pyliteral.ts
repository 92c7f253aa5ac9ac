/**
 * A small, safe evaluator for the Python expressions that DocMath-Eval's `normalize`
 * hands to `eval` (scorers.md §6 step 13): numeric literals with Python's grammar (ints
 * are exact BigInts, `"01"` is a syntax error, `"12."` and `".5"` are floats, `_`
 * separators, hex/octal/binary), unary `+`/`-`, binary `+ - * / // **`, parentheses,
 * tuples and lists, sets, integer `| ^ &`, `or`/`and`/`not` (short-circuit), `str`/`list`
 * concatenation and repetition, adjacent string literals, `True`/`False`/`None`, quoted strings and `math.pow` (plus a
 * few other `math` members). Nothing else runs: a name, a call or a syntax the grammar
 * does not know raises `PyEvalError`, which the scorer turns into `0` exactly as the
 * original's `except Exception: prediction = 0` does.
 *
 * Known divergences from CPython, all of which score 0 either way: complex literals
 * (`3j`), dicts, comparisons, shifts and `~`, builtins (`abs(...)`).
 */
import { pyFloatRepr } from './pyfloat.ts';

/** A Python value as far as the DocMath scorer needs it. */
export type PyValue =
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'str'; value: string }
  | { kind: 'list'; value: PyValue[] }
  | { kind: 'tuple'; value: PyValue[] }
  | { kind: 'set'; value: PyValue[] }
  | { kind: 'none' };

/** Python raised (SyntaxError, NameError, ZeroDivisionError, OverflowError, ...). */
export class PyEvalError extends Error {
  override readonly name = 'PyEvalError';
}

/** Bound on exponent size for integer `**`, so a hostile `9**9**9` cannot hang the trainer. */
const MAX_INT_BITS = 1 << 16;

type Tok =
  | { t: 'num'; v: PyValue }
  | { t: 'str'; v: string }
  | { t: 'name'; v: string }
  | { t: 'op'; v: string }
  | { t: 'nl' }
  | { t: 'end' };

const DIGITS = /^(?:\d(?:_?\d)*)/;
const NUMBER_RE =
  /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?)/;

function parseNumberToken(text: string): PyValue {
  const clean = text.replace(/_/g, '');
  if (/^0[xXoObB]/.test(clean)) return { kind: 'int', value: BigInt(clean.toLowerCase()) };
  if (/[.eE]/.test(clean)) return { kind: 'float', value: Number(clean) };
  // Decimal integer: leading zeros are only allowed when every digit is zero.
  if (clean.length > 1 && clean.startsWith('0') && /[1-9]/.test(clean)) {
    throw new PyEvalError('SyntaxError: leading zeros in decimal integer literals are not permitted');
  }
  return { kind: 'int', value: BigInt(clean) };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let depth = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\f') { i++; continue; }
    if (ch === '\n' || ch === '\r') {
      if (depth === 0) out.push({ t: 'nl' });
      i++;
      continue;
    }
    const rest = src.slice(i);
    if (/^[0-9]/.test(ch) || (ch === '.' && /^\.[0-9]/.test(rest))) {
      const m = NUMBER_RE.exec(rest);
      if (!m) throw new PyEvalError('SyntaxError: bad number');
      const after = rest[m[0].length];
      // CPython 3.11 still accepts a keyword right after a number ("12or 5"), with a warning.
      const glued = /^(?:or|and|not|in|is|if|else|for)(?![A-Za-z0-9_])/.test(rest.slice(m[0].length));
      if (after !== undefined && /[A-Za-z0-9_]/.test(after) && !glued) throw new PyEvalError('SyntaxError: invalid literal');
      out.push({ t: 'num', v: parseNumberToken(m[0]) });
      i += m[0].length;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const triple = rest.startsWith(ch.repeat(3));
      if (triple) throw new PyEvalError('SyntaxError: triple-quoted strings are not supported');
      let j = i + 1;
      let s = '';
      for (;;) {
        const c = src[j];
        if (c === undefined || c === '\n') throw new PyEvalError('SyntaxError: unterminated string literal');
        if (c === ch) break;
        if (c === '\\') {
          const e = src[j + 1];
          if (e === undefined) throw new PyEvalError('SyntaxError: unterminated string literal');
          const mapped = ESCAPES[e];
          s += mapped ?? `\\${e}`;
          j += 2;
          continue;
        }
        s += c;
        j++;
      }
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const nameM = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (nameM) {
      out.push({ t: 'name', v: nameM[0] });
      i += nameM[0].length;
      continue;
    }
    const op = ['**', '//'].find((o) => rest.startsWith(o)) ?? ('+-*/(),[]{}.^&|'.includes(ch) ? ch : undefined);
    if (op === undefined) throw new PyEvalError(`SyntaxError: invalid character ${JSON.stringify(ch)}`);
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  // Blank lines before or after are fine in eval mode; a newline between expressions is not.
  while (out.length > 0 && out[out.length - 1]?.t === 'nl') out.pop();
  while (out.length > 0 && out[0]?.t === 'nl') out.shift();
  out.push({ t: 'end' });
  return out;
}

// ---------------------------------------------------------------- numeric helpers

/** Python's int -> float conversion, which raises instead of returning inf. */
function intToFloat(v: bigint): number {
  const f = Number(v);
  if (!Number.isFinite(f)) throw new PyEvalError('OverflowError: int too large to convert to float');
  return f;
}

function isNumeric(v: PyValue): v is Extract<PyValue, { kind: 'int' | 'float' | 'bool' }> {
  return v.kind === 'int' || v.kind === 'float' || v.kind === 'bool';
}

function asInt(v: PyValue): bigint | null {
  if (v.kind === 'int') return v.value;
  if (v.kind === 'bool') return v.value ? 1n : 0n;
  return null;
}

/** The value as a float (Python `float(x)` for numbers). */
export function pyToFloat(v: PyValue): number {
  if (v.kind === 'float') return v.value;
  const i = asInt(v);
  if (i === null) throw new PyEvalError(`TypeError: must be real number, not ${v.kind}`);
  return intToFloat(i);
}

function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

/** Longest string or list `*` may build, so `'x' * 10**9` cannot exhaust memory. */
const MAX_SEQ = 1_000_000;

/** `str`/`list` concatenation and repetition, as Python does them. */
function sequenceOp(op: string, a: PyValue, b: PyValue): PyValue | null {
  if (op === '+' && a.kind === 'str' && b.kind === 'str') return { kind: 'str', value: a.value + b.value };
  if (op === '+' && a.kind === 'list' && b.kind === 'list') return { kind: 'list', value: [...a.value, ...b.value] };
  if (op !== '*') return null;
  const [seq, count] = a.kind === 'str' || a.kind === 'list' ? [a, asInt(b)] : [b, asInt(a)];
  if ((seq.kind !== 'str' && seq.kind !== 'list') || count === null) return null;
  const n = count < 0n ? 0 : Number(count);
  if (n * Math.max(1, seq.value.length) > MAX_SEQ) throw new PyEvalError('MemoryError: sequence too long for the evaluator');
  if (seq.kind === 'str') return { kind: 'str', value: seq.value.repeat(n) };
  const out: PyValue[] = [];
  for (let k = 0; k < n; k++) out.push(...seq.value);
  return { kind: 'list', value: out };
}

/** Python truth value. */
function truthy(v: PyValue): boolean {
  switch (v.kind) {
    case 'int': return v.value !== 0n;
    case 'float': return v.value !== 0;
    case 'bool': return v.value;
    case 'none': return false;
    default: return v.value.length > 0;
  }
}

function binary(op: string, a: PyValue, b: PyValue): PyValue {
  const seq = sequenceOp(op, a, b);
  if (seq) return seq;
  if (!isNumeric(a) || !isNumeric(b)) throw new PyEvalError(`TypeError: unsupported operand types for ${op}`);
  const ia = asInt(a);
  const ib = asInt(b);
  if (ia !== null && ib !== null) {
    switch (op) {
      case '+': return { kind: 'int', value: ia + ib };
      case '-': return { kind: 'int', value: ia - ib };
      case '*': return { kind: 'int', value: ia * ib };
      case '//':
        if (ib === 0n) throw new PyEvalError('ZeroDivisionError');
        return { kind: 'int', value: floorDivBig(ia, ib) };
      case '/':
        if (ib === 0n) throw new PyEvalError('ZeroDivisionError');
        return { kind: 'float', value: intToFloat(ia) / intToFloat(ib) };
      case '**': {
        if (ib < 0n) return floatPow(intToFloat(ia), intToFloat(ib));
        const bits = BigInt((ia < 0n ? -ia : ia).toString(2).length);
        if (bits * ib > BigInt(MAX_INT_BITS)) throw new PyEvalError('OverflowError: integer power too large for the evaluator');
        return { kind: 'int', value: ia ** ib };
      }
    }
  }
  const fa = pyToFloat(a);
  const fb = pyToFloat(b);
  switch (op) {
    case '+': return { kind: 'float', value: fa + fb };
    case '-': return { kind: 'float', value: fa - fb };
    case '*': return { kind: 'float', value: fa * fb };
    case '/':
      if (fb === 0) throw new PyEvalError('ZeroDivisionError: float division by zero');
      return { kind: 'float', value: fa / fb };
    case '//':
      if (fb === 0) throw new PyEvalError('ZeroDivisionError: float floor division by zero');
      return { kind: 'float', value: Math.floor(fa / fb) };
    case '**': return floatPow(fa, fb);
  }
  throw new PyEvalError(`SyntaxError: operator ${op}`);
}

function bitwise(op: string, a: PyValue, b: PyValue): PyValue {
  const ia = asInt(a);
  const ib = asInt(b);
  if (ia === null || ib === null) throw new PyEvalError(`TypeError: unsupported operand types for ${op}`);
  const r = op === '|' ? ia | ib : op === '^' ? ia ^ ib : ia & ib;
  // bool op bool stays bool in Python.
  if (a.kind === 'bool' && b.kind === 'bool') return { kind: 'bool', value: r !== 0n };
  return { kind: 'int', value: r };
}

/**
 * `x ** y` as C's `pow`: glibc rounds correctly where V8 may be an ulp off, which matters
 * for the powers of ten DocMath answers write (`10^-21`); those go through the decimal parser.
 */
function cPow(x: number, y: number): number {
  if (x === 10 && Number.isInteger(y) && Math.abs(y) <= 400) return Number(`1e${y}`);
  return x ** y;
}

function floatPow(a: number, b: number): PyValue {
  if (a === 0 && b < 0) throw new PyEvalError('ZeroDivisionError: 0.0 cannot be raised to a negative power');
  if (a < 0 && !Number.isInteger(b)) throw new PyEvalError('complex result (not supported)');
  const r = cPow(a, b);
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) throw new PyEvalError('OverflowError: (34, Numerical result out of range)');
  return { kind: 'float', value: r };
}

/** `math.<name>(args)`: the members a DocMath answer could plausibly contain. */
function callMath(name: string, args: PyValue[]): PyValue {
  const f = args.map(pyToFloat);
  const need = (n: number): void => {
    if (f.length !== n) throw new PyEvalError(`TypeError: math.${name} takes ${n} arguments`);
  };
  const checked = (r: number): PyValue => {
    if (Number.isNaN(r)) throw new PyEvalError('ValueError: math domain error');
    if (!Number.isFinite(r) && f.every(Number.isFinite)) throw new PyEvalError('OverflowError: math range error');
    return { kind: 'float', value: r };
  };
  switch (name) {
    case 'pow': {
      need(2);
      const [x, y] = f as [number, number];
      if (x === 0 && y < 0) throw new PyEvalError('ValueError: math domain error');
      if (x === 1 || y === 0) return { kind: 'float', value: 1 };
      return checked(cPow(x, y));
    }
    case 'sqrt': need(1); return checked(Math.sqrt(f[0] as number));
    case 'exp': need(1); return checked(Math.exp(f[0] as number));
    case 'log10': need(1); if ((f[0] as number) <= 0) throw new PyEvalError('ValueError: math domain error'); return checked(Math.log10(f[0] as number));
    case 'log': {
      if (f.length !== 1 && f.length !== 2) throw new PyEvalError('TypeError: math.log takes 1 or 2 arguments');
      if (f.some((x) => x <= 0)) throw new PyEvalError('ValueError: math domain error');
      return checked(f.length === 1 ? Math.log(f[0] as number) : Math.log(f[0] as number) / Math.log(f[1] as number));
    }
  }
  throw new PyEvalError(`AttributeError: module 'math' has no attribute '${name}'`);
}

// ---------------------------------------------------------------- parser

const KEYWORDS = new Set(['or', 'and', 'not', 'in', 'is', 'if', 'else', 'for', 'lambda', 'None', 'True', 'False']);
/** What a skipped (short-circuited) operand evaluates to: never looked at. */
const SKIPPED: PyValue = { kind: 'none' };

/**
 * Recursive descent over Python's expression grammar (the supported part). Values are
 * computed while parsing; inside the operand that `or`/`and` short-circuit, `dry` is set
 * and nothing is computed, so `12 or 1/0` is 12 as in Python while a syntax error there
 * still fails.
 */
class Parser {
  private i = 0;
  private dry = 0;
  constructor(private readonly toks: Tok[]) {}

  private isName(v: string): boolean {
    const t = this.peek();
    return t.t === 'name' && t.v === v;
  }

  /** Runs `f` unless in a skipped operand. */
  private ev(f: () => PyValue): PyValue {
    return this.dry > 0 ? SKIPPED : f();
  }

  private skip<T>(f: () => T): void {
    this.dry++;
    try {
      f();
    } finally {
      this.dry--;
    }
  }

  /** `or` (lowest precedence): the first truthy operand, else the last. */
  private test(): PyValue {
    let v = this.andTest();
    while (this.isName('or')) {
      this.i++;
      if (this.dry === 0 && truthy(v)) this.skip(() => this.andTest());
      else v = this.andTest();
    }
    return v;
  }

  /** `and`: the first falsy operand, else the last. */
  private andTest(): PyValue {
    let v = this.notTest();
    while (this.isName('and')) {
      this.i++;
      if (this.dry === 0 && !truthy(v)) this.skip(() => this.notTest());
      else v = this.notTest();
    }
    return v;
  }

  private notTest(): PyValue {
    if (this.isName('not')) {
      this.i++;
      const x = this.notTest();
      return this.ev(() => ({ kind: 'bool', value: !truthy(x) }));
    }
    return this.expr();
  }

  private peek(): Tok { return this.toks[this.i] as Tok; }
  private next(): Tok { return this.toks[this.i++] as Tok; }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new PyEvalError(`SyntaxError: expected '${v}'`);
    this.i++;
  }
  private startsExpr(): boolean {
    const t = this.peek();
    if (t.t === 'num' || t.t === 'str' || t.t === 'name') return true;
    return t.t === 'op' && ['+', '-', '(', '[', '{'].includes(t.v);
  }

  /** Top level: an expression list; a bare comma makes a tuple. */
  parseTop(): PyValue {
    const v = this.exprList('tuple');
    if (this.peek().t !== 'end') throw new PyEvalError('SyntaxError: invalid syntax');
    return v;
  }

  private exprList(kind: 'tuple'): PyValue {
    const first = this.test();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.i++;
      if (!this.startsExpr()) break;
      items.push(this.test());
    }
    return { kind, value: items };
  }

  /** Bitwise `|`, `^`, `&` on ints (lowest precedence): `10^(-2)` is XOR in Python, -12. */
  private expr(): PyValue {
    let v = this.xorExpr();
    while (this.isOp('|')) { this.i++; const r = this.xorExpr(); v = this.ev(() => bitwise('|', v, r)); }
    return v;
  }

  private xorExpr(): PyValue {
    let v = this.andExpr();
    while (this.isOp('^')) { this.i++; const r = this.andExpr(); v = this.ev(() => bitwise('^', v, r)); }
    return v;
  }

  private andExpr(): PyValue {
    let v = this.arith();
    while (this.isOp('&')) { this.i++; const r = this.arith(); v = this.ev(() => bitwise('&', v, r)); }
    return v;
  }

  private arith(): PyValue {
    let v = this.term();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.next() as { v: string }).v;
      const r = this.term();
      v = this.ev(() => binary(op, v, r));
    }
    return v;
  }

  private term(): PyValue {
    let v = this.factor();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//')) {
      const op = (this.next() as { v: string }).v;
      const r = this.factor();
      v = this.ev(() => binary(op, v, r));
    }
    return v;
  }

  private factor(): PyValue {
    if (this.isOp('-') || this.isOp('+')) {
      const op = (this.next() as { v: string }).v;
      const x = this.factor();
      if (this.dry > 0) return SKIPPED;
      if (!isNumeric(x)) throw new PyEvalError('TypeError: bad operand type for unary operator');
      const i = asInt(x);
      if (i !== null) return { kind: 'int', value: op === '-' ? -i : i };
      return { kind: 'float', value: op === '-' ? -(x.value as number) : (x.value as number) };
    }
    return this.power();
  }

  private power(): PyValue {
    const base = this.atom();
    if (this.isOp('**')) {
      this.i++;
      const e = this.factor();
      return this.ev(() => binary('**', base, e));
    }
    return base;
  }

  private seq(close: string): PyValue[] {
    const items: PyValue[] = [];
    while (!this.isOp(close)) {
      items.push(this.test());
      if (this.isOp(',')) this.i++;
      else if (!this.isOp(close)) throw new PyEvalError('SyntaxError: invalid syntax');
    }
    this.i++;
    return items;
  }

  private atom(): PyValue {
    const t = this.next();
    if (t.t === 'num') return t.v;
    if (t.t === 'str') {
      // adjacent literals concatenate: 'a' 'b' == 'ab'
      let v = t.v;
      for (let n = this.peek(); n.t === 'str'; n = this.peek()) {
        v += n.v;
        this.i++;
      }
      return { kind: 'str', value: v };
    }
    if (t.t === 'name') {
      if (t.v === 'True') return { kind: 'bool', value: true };
      if (t.v === 'False') return { kind: 'bool', value: false };
      if (t.v === 'None') return { kind: 'none' };
      if (t.v === 'math' && this.isOp('.')) {
        this.i++;
        const member = this.next();
        if (member.t !== 'name') throw new PyEvalError('SyntaxError: invalid syntax');
        if (member.v === 'pi') return { kind: 'float', value: Math.PI };
        if (this.dry > 0 && !this.isOp('(')) return SKIPPED;
        if (member.v === 'e') return { kind: 'float', value: Math.E };
        this.expectOp('(');
        const args = this.seq(')');
        return this.ev(() => callMath(member.v, args));
      }
      if (KEYWORDS.has(t.v)) throw new PyEvalError(`SyntaxError: invalid syntax at '${t.v}'`);
      // Names are looked up at run time: inside a skipped operand they raise nothing.
      if (this.dry > 0) {
        while (this.isOp('.') || this.isOp('(')) {
          if (this.isOp('.')) { this.i += 2; continue; }
          this.i++;
          this.seq(')');
        }
        return SKIPPED;
      }
      throw new PyEvalError(`NameError: name '${t.v}' is not defined`);
    }
    if (t.t === 'op' && t.v === '(') {
      if (this.isOp(')')) { this.i++; return { kind: 'tuple', value: [] }; }
      const first = this.test();
      if (this.isOp(')')) { this.i++; return first; }
      this.expectOp(',');
      const rest = this.seq(')');
      return { kind: 'tuple', value: [first, ...rest] };
    }
    if (t.t === 'op' && t.v === '[') return { kind: 'list', value: this.seq(']') };
    if (t.t === 'op' && t.v === '{') {
      if (this.isOp('}')) throw new PyEvalError('dict literals are not supported');
      return { kind: 'set', value: this.seq('}') };
    }
    throw new PyEvalError('SyntaxError: invalid syntax');
  }
}

/**
 * Evaluates `src` as Python's `eval` would for the supported subset. Leading spaces and
 * tabs are ignored (as `eval` does); anything outside the subset throws `PyEvalError`.
 */
export function pyEvalLiteral(src: string): PyValue {
  const toks = tokenize(src.replace(/^[ \t]+/, ''));
  if (toks.length === 1) throw new PyEvalError('SyntaxError: empty expression');
  return new Parser(toks).parseTop();
}

/** Python `str()`-like rendering for logs and reports. */
export function pyValueString(v: PyValue): string {
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': return pyFloatRepr(v.value);
    case 'bool': return v.value ? 'True' : 'False';
    case 'str': return v.value;
    case 'none': return 'None';
    case 'list': return `[${v.value.map(pyValueString).join(', ')}]`;
    case 'tuple': return `(${v.value.map(pyValueString).join(', ')}${v.value.length === 1 ? ',' : ''})`;
    case 'set': return `{${v.value.map(pyValueString).join(', ')}}`;
  }
}
