/** HTML building blocks of the report: sections, tables, notes and the page style. */
import { esc } from './svg.ts';
import { formatMetric } from './step-summary.ts';

/** A report section with an anchor id (used by the page's navigation). */
export function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>\n${body}\n</section>`;
}

/** A note that something is absent from the run folder. */
export function missing(text: string): string {
  return `<p class="missing">${esc(text)}</p>`;
}

/** A table; cells are HTML (escape text before passing it). */
export function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

/** A metric value for a table cell ('–' when absent). */
export function fmt(x: number | undefined): string {
  return x === undefined ? '–' : esc(formatMetric(x));
}

/** The page style: inline, so the report needs no other file. */
export const CSS = `
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px auto;max-width:960px;color:#222;line-height:1.4}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}figure{margin:12px 0}svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}table.eval td:nth-child(2){text-align:left}
.n{color:#888;font-size:11px}.missing{color:#a60;font-style:italic}.meta{color:#666;font-size:13px}.headline{font-size:16px;background:#f3f7fb;border-left:4px solid #4e79a7;padding:8px 12px}
pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:12px;border:1px solid #eee}code{font-size:12px}
nav a{margin-right:12px;font-size:13px}dt{font-weight:bold;font-size:13px}dd{margin:2px 0 8px 16px}dd pre{margin:0}
`;
