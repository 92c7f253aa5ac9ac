/**
 * A strict little XML reader for tests: it checks well-formedness (balanced tags,
 * quoted attributes, known entities) and returns the element tree, so chart tests can
 * inspect SVG structure without a dependency.
 */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#\d+|#x[0-9a-fA-F]+|\w+);|&/g, (m, e: string | undefined) => {
    if (e === undefined) throw new Error('bare & in XML text');
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new Error(`unknown entity &${e};`);
    return v;
  });
}

export function parseXml(src: string): XmlNode {
  let i = 0;
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  src = src.replace(/^<\?xml[^>]*\?>/, '');
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    const text = src.slice(i, textEnd);
    if (text.includes('>')) throw new Error(`stray ">" at ${i}`);
    (stack[stack.length - 1] as XmlNode).text += decode(text);
    if (lt < 0) break;
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    const gt = src.indexOf('>', lt);
    if (gt < 0) throw new Error(`unterminated tag at ${lt}`);
    const body = src.slice(lt + 1, gt);
    i = gt + 1;
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const top = stack.pop();
      if (!top || top.name !== name) throw new Error(`closing </${name}> does not match <${top?.name}>`);
      continue;
    }
    const selfClose = body.endsWith('/');
    const inner = selfClose ? body.slice(0, -1) : body;
    const m = /^([A-Za-z_][\w:.-]*)/.exec(inner);
    if (!m) throw new Error(`bad tag name in <${body}>`);
    const node: XmlNode = { name: m[1] as string, attrs: {}, children: [], text: '' };
    let rest = inner.slice(m[0].length);
    const attrRe = /^\s+([A-Za-z_][\w:.-]*)="([^"<]*)"/;
    for (;;) {
      const a = attrRe.exec(rest);
      if (!a) break;
      if (a[1] as string in node.attrs) throw new Error(`duplicate attribute ${a[1]}`);
      node.attrs[a[1] as string] = decode(a[2] as string);
      rest = rest.slice(a[0].length);
    }
    if (rest.trim() !== '') throw new Error(`malformed attributes in <${body}>: "${rest}"`);
    (stack[stack.length - 1] as XmlNode).children.push(node);
    if (!selfClose) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  const elems = root.children;
  if (elems.length !== 1) throw new Error('XML must have exactly one root element');
  return elems[0] as XmlNode;
}

/** All descendants (depth first) matching a predicate. */
export function findAll(node: XmlNode, pred: (n: XmlNode) => boolean): XmlNode[] {
  const out: XmlNode[] = [];
  const walk = (n: XmlNode) => {
    if (pred(n)) out.push(n);
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}

/** Concatenated text of a node and its descendants. */
export function textOf(n: XmlNode): string {
  return n.text + n.children.map(textOf).join('');
}
