/**
 * A parser for the Python literals that data files store as strings (LongBench gold
 * `"['Bob Dylan']"`, `"{'answers': [...], 'all_classes': [...]}"`, Frames `wiki_links`):
 * str (single/double quotes, escapes), int/float, True/False/None, list, tuple, dict.
 * Enough of `ast.literal_eval` for data files; anything else is an error.
 */
export function parsePyLiteral(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i}`);
  };
  const str = (): string => {
    const q = text[i] as string;
    i++;
    let out = '';
    while (i < text.length && text[i] !== q) {
      const c = text[i] as string;
      if (c === '\\') {
        const n = text[i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (n === 'x' || n === 'u') {
          const len = n === 'x' ? 2 : 4;
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 2 + len), 16));
          i += 2 + len;
          continue;
        }
        if (n === undefined) fail('unterminated escape');
        out += map[n as string] ?? `\\${n}`;
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  };
  const seq = (close: string): unknown[] => {
    const out: unknown[] = [];
    i++;
    ws();
    while (text[i] !== close) {
      out.push(value());
      ws();
      if (text[i] === ',') {
        i++;
        ws();
      } else if (text[i] !== close) fail(`expected , or ${close}`);
    }
    i++;
    return out;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      let s = str();
      // Adjacent literals concatenate, as in Python.
      for (;;) {
        const save = i;
        ws();
        if (text[i] === "'" || text[i] === '"') s += str();
        else {
          i = save;
          break;
        }
      }
      return s;
    }
    if (c === '[') return seq(']');
    if (c === '(') return seq(')');
    if (c === '{') {
      const obj: Record<string, unknown> = {};
      i++;
      ws();
      while (text[i] !== '}') {
        const k = value();
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        obj[String(k)] = value();
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== '}') fail('expected , or }');
      }
      i++;
      return obj;
    }
    const m = /^(True|False|None|[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(text.slice(i));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0]);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return v;
}
