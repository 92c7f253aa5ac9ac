/**
 * Line charts as hand-written SVG (no charting dependency), after the chart design of
 * ecosystem.md §6: each metric its own panel with an independent y scale (small
 * multiples sharing the x range), the raw line at low opacity under a rolling mean,
 * stage boundaries as vertical rules, axes with nice ticks, labels and a legend.
 * `svgToPng` rasterises with @resvg/resvg-js for places that want an image.
 */
import { FONT, PALETTE, esc, num } from './svg.ts';
import { defaultWindow, formatTick, niceAxis, rollingMean, type ChartAxis } from './scales.ts';

/** One line: points (x, y); a null y leaves a gap. */
export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number | null])[];
  /** CSS colour; default from the palette by position. */
  color?: string;
}

/** A vertical rule, e.g. where a curriculum stage starts. */
export interface VRule {
  x: number;
  label?: string;
}

/** One panel of a chart. */
export interface ChartPanel {
  title: string;
  series: readonly ChartSeries[];
  yLabel?: string;
}

export interface ChartOptions {
  /** Total width in pixels (default 720). */
  width?: number;
  /** Height of one panel in pixels (default 220). */
  panelHeight?: number;
  /** Panels per row (default 2; a single panel always takes the full width). */
  columns?: number;
  /** Title above all panels. */
  title?: string;
  xLabel?: string;
  /** Rolling-mean window in points; 1 draws the raw line only. Default: about n/20. */
  smooth?: number;
  /** Opacity of the raw line when a rolling mean is drawn (default 0.35). */
  rawOpacity?: number;
  /** Vertical rules drawn on every panel. */
  vRules?: readonly VRule[];
  /** The x values are integers (steps): no fractional ticks. */
  xInteger?: boolean;
  /** Draw a dot at every point (for short series such as accuracy by length). */
  markers?: boolean;
  /** Fixed x range; default the range of all points. */
  xDomain?: readonly [number, number];
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const MARGIN = { left: 52, right: 20, top: 40, bottom: 34 };

/** The x and y extent of a set of series (null when there is no finite point). */
function extent(series: readonly ChartSeries[], axis: 0 | 1): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      const v = p[axis];
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Path data for points, starting a new sub-path after every gap. */
function pathData(pts: readonly (readonly [number, number | null])[], sx: (x: number) => number, sy: (y: number) => number): string {
  let d = '';
  let pen = false;
  for (const [x, y] of pts) {
    if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${num(sx(x))} ${num(sy(y))}`;
    pen = true;
  }
  return d;
}

type Pt = readonly [number, number | null];

/**
 * Thins a long series for drawing: the points are cut into `buckets` runs of equal
 * count, and each run keeps its minimum and maximum (in their order) so spikes stay
 * visible; a run containing a gap keeps the gap. Short series are returned as they are.
 */
export function decimate(pts: readonly Pt[], buckets: number): Pt[] {
  const b = Math.max(1, Math.floor(buckets));
  if (pts.length <= 2 * b) return [...pts];
  const size = Math.ceil(pts.length / b);
  const out: Pt[] = [];
  for (let start = 0; start < pts.length; start += size) {
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (let i = start; i < Math.min(pts.length, start + size); i++) {
      const y = (pts[i] as Pt)[1];
      if (y === null || !Number.isFinite(y)) {
        if (gap < 0) gap = i;
        continue;
      }
      if (lo < 0 || y < ((pts[lo] as Pt)[1] as number)) lo = i;
      if (hi < 0 || y > ((pts[hi] as Pt)[1] as number)) hi = i;
    }
    const keep = [...new Set([lo, hi, gap].filter((i) => i >= 0))].sort((a, b) => a - b);
    for (const i of keep) out.push(i === gap ? [(pts[i] as Pt)[0], null] : (pts[i] as Pt));
  }
  return out;
}

/** Every k-th point (and the last) of a smooth line, at most about `n` points. */
function stride(pts: readonly Pt[], n: number): Pt[] {
  if (pts.length <= n) return [...pts];
  const k = Math.ceil(pts.length / n);
  const out: Pt[] = [];
  for (let i = 0; i < pts.length; i += k) out.push(pts[i] as Pt);
  if ((pts.length - 1) % k !== 0) out.push(pts[pts.length - 1] as Pt);
  return out;
}

/** Points that have no neighbour to join (drawn as dots so they are not invisible). */
function isolated(pts: readonly (readonly [number, number | null])[]): [number, number][] {
  const ok = (i: number) => {
    const p = pts[i];
    return p !== undefined && p[1] !== null && Number.isFinite(p[1]);
  };
  const out: [number, number][] = [];
  for (let i = 0; i < pts.length; i++) {
    if (ok(i) && !ok(i - 1) && !ok(i + 1)) out.push([pts[i]![0], pts[i]![1] as number]);
  }
  return out;
}

function renderPanel(panel: ChartPanel, box: Box, xAxis: ChartAxis, opts: ChartOptions): string {
  const plot = { x: box.x + MARGIN.left, y: box.y + MARGIN.top, w: box.w - MARGIN.left - MARGIN.right, h: box.h - MARGIN.top - MARGIN.bottom };
  const out: string[] = [`<g class="panel" data-title="${esc(panel.title)}">`];
  out.push(`<text x="${num(box.x + MARGIN.left)}" y="${num(box.y + 16)}" font-size="13" font-weight="bold" fill="#222">${esc(panel.title)}</text>`);
  const yExt = extent(panel.series, 1);
  if (yExt === null) {
    out.push(`<rect x="${num(plot.x)}" y="${num(plot.y)}" width="${num(plot.w)}" height="${num(plot.h)}" fill="#fafafa" stroke="#ddd"/>`);
    out.push(`<text x="${num(plot.x + plot.w / 2)}" y="${num(plot.y + plot.h / 2)}" text-anchor="middle" font-size="12" fill="#888">no data</text>`);
    out.push('</g>');
    return out.join('');
  }
  const yAxis = niceAxis(yExt[0], yExt[1], Math.max(2, Math.round(plot.h / 40)));
  const sx = (x: number) => plot.x + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * plot.w;
  const sy = (y: number) => plot.y + plot.h - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * plot.h;

  // Grid and axes.
  out.push(`<g class="y-axis" font-size="10" fill="#555" text-anchor="end">`);
  for (const t of yAxis.ticks) {
    const y = sy(t);
    out.push(`<line x1="${num(plot.x)}" x2="${num(plot.x + plot.w)}" y1="${num(y)}" y2="${num(y)}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${num(plot.x - 5)}" y="${num(y + 3.5)}">${esc(formatTick(t, yAxis.step))}</text>`);
  }
  out.push('</g>');
  out.push(`<g class="x-axis" font-size="10" fill="#555" text-anchor="middle">`);
  for (const t of xAxis.ticks) {
    const x = sx(t);
    out.push(`<line x1="${num(x)}" x2="${num(x)}" y1="${num(plot.y + plot.h)}" y2="${num(plot.y + plot.h + 4)}" stroke="#888"/>`);
    out.push(`<text x="${num(x)}" y="${num(plot.y + plot.h + 15)}">${esc(formatTick(t, xAxis.step))}</text>`);
  }
  out.push('</g>');
  out.push(`<rect x="${num(plot.x)}" y="${num(plot.y)}" width="${num(plot.w)}" height="${num(plot.h)}" fill="none" stroke="#999"/>`);
  if (opts.xLabel) {
    out.push(`<text x="${num(plot.x + plot.w / 2)}" y="${num(plot.y + plot.h + 29)}" font-size="11" fill="#444" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  }
  if (panel.yLabel) {
    const cx = box.x + 12;
    const cy = plot.y + plot.h / 2;
    out.push(`<text x="${num(cx)}" y="${num(cy)}" font-size="11" fill="#444" text-anchor="middle" transform="rotate(-90 ${num(cx)} ${num(cy)})">${esc(panel.yLabel)}</text>`);
  }

  // Stage boundaries.
  for (const r of opts.vRules ?? []) {
    if (r.x < xAxis.min || r.x > xAxis.max) continue;
    const x = sx(r.x);
    out.push(`<line class="vrule" x1="${num(x)}" x2="${num(x)}" y1="${num(plot.y)}" y2="${num(plot.y + plot.h)}" stroke="#666" stroke-dasharray="4 3"/>`);
    if (r.label) out.push(`<text x="${num(x + 3)}" y="${num(plot.y + 10)}" font-size="9" fill="#666">${esc(r.label)}</text>`);
  }

  // Lines: raw at low opacity, then the rolling mean on top.
  out.push(`<g class="lines" fill="none" stroke-width="1.6" stroke-linejoin="round">`);
  panel.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const w = opts.smooth ?? defaultWindow(s.points.length);
    const smooth = w > 1;
    const buckets = Math.max(50, Math.round(plot.w));
    out.push(`<path class="raw" data-series="${esc(s.name)}" d="${pathData(decimate(s.points, buckets), sx, sy)}" stroke="${color}"${smooth ? ` stroke-opacity="${opts.rawOpacity ?? 0.35}" stroke-width="1"` : ''}/>`);
    if (smooth) {
      const ys = rollingMean(s.points.map((p) => p[1]), w);
      const pts = s.points.map((p, j) => [p[0], ys[j] ?? null] as const);
      out.push(`<path class="mean" data-series="${esc(s.name)}" d="${pathData(stride(pts, buckets), sx, sy)}" stroke="${color}"/>`);
    }
    const dots = opts.markers ? s.points.filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1])) : isolated(s.points);
    for (const [x, y] of dots) out.push(`<circle cx="${num(sx(x))}" cy="${num(sy(y))}" r="2.5" fill="${color}"/>`);
  });
  out.push('</g>');

  // Legend (one row under the title).
  if (panel.series.length > 1) {
    let lx = plot.x;
    out.push(`<g class="legend" font-size="10" fill="#333">`);
    panel.series.forEach((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length];
      out.push(`<rect x="${num(lx)}" y="${num(box.y + 24)}" width="12" height="4" fill="${color}"/>`);
      out.push(`<text x="${num(lx + 16)}" y="${num(box.y + 29)}">${esc(s.name)}</text>`);
      lx += 26 + s.name.length * 6;
    });
    out.push('</g>');
  }
  out.push('</g>');
  return out.join('');
}

/**
 * Small multiples: one panel per metric, independent y scales, a shared x range, laid
 * out in `columns` columns. A single panel is simply a line chart.
 */
export function chartSvg(panels: readonly ChartPanel[], opts: ChartOptions = {}): string {
  const width = opts.width ?? 720;
  const cols = Math.max(1, Math.min(opts.columns ?? 2, panels.length));
  const ph = opts.panelHeight ?? 220;
  const titleH = opts.title ? 26 : 0;
  const rows = Math.max(1, Math.ceil(panels.length / cols));
  const height = titleH + rows * ph;
  const pw = width / cols;
  const xExt = opts.xDomain ?? extent(panels.flatMap((p) => p.series), 0) ?? [0, 1];
  const xAxis = niceAxis(xExt[0], xExt[1], Math.max(2, Math.round((pw - MARGIN.left) / 70)), opts.xInteger ? 1 : 0);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img">`,
    `<title>${esc(opts.title ?? panels.map((p) => p.title).join(', '))}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (opts.title) out.push(`<text x="${num(width / 2)}" y="18" font-size="15" font-weight="bold" text-anchor="middle" fill="#111">${esc(opts.title)}</text>`);
  panels.forEach((p, i) => {
    const box = { x: (i % cols) * pw, y: titleH + Math.floor(i / cols) * ph, w: pw, h: ph };
    out.push(renderPanel(p, box, xAxis, opts));
  });
  out.push('</svg>');
  return out.join('\n');
}

/** One panel as a chart. */
export function lineChartSvg(panel: ChartPanel, opts: ChartOptions = {}): string {
  return chartSvg([panel], { ...opts, columns: 1 });
}

/**
 * Rasterises an SVG to PNG with @resvg/resvg-js and the system fonts (without fonts
 * installed the text is missing from the image; the SVG is unaffected). Loaded on
 * first use so that a machine without the prebuilt binary can still write SVG/HTML.
 */
export async function svgToPng(svg: string, opts: { width?: number } = {}): Promise<Buffer> {
  const mod = (await import('@resvg/resvg-js')) as unknown as { Resvg?: ResvgCtor; default?: { Resvg: ResvgCtor } };
  const Resvg = mod.Resvg ?? mod.default?.Resvg;
  if (!Resvg) throw new Error('@resvg/resvg-js did not export Resvg');
  const options: Record<string, unknown> = { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' };
  if (opts.width !== undefined) options['fitTo'] = { mode: 'width', value: opts.width };
  return new Resvg(svg, options).render().asPng();
}

type ResvgCtor = new (svg: string, options: Record<string, unknown>) => { render(): { asPng(): Buffer } };
