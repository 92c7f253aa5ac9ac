import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartSvg, decimate, lineChartSvg, svgToPng, type ChartSeries } from '../../src/observe/charts.ts';
import { formatTick, niceAxis, niceStep, rollingMean } from '../../src/observe/scales.ts';
import { findAll, parseXml, textOf } from './xml.ts';
import { darkPixels, decodePng } from './png.ts';
import { spawnSync } from 'node:child_process';

function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.subarray(12, 16).toString('ascii'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test('nice axes: 1-2-5 steps, widened domains, flat and reversed ranges', () => {
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(0.07, 5), 0.01);
  assert.deepEqual(niceAxis(0.13, 0.92, 5), { min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assert.deepEqual(niceAxis(1, 120, 5).ticks, [0, 20, 40, 60, 80, 100, 120]);
  assert.deepEqual(niceAxis(3, 3, 4).ticks, [2.6, 2.8, 3, 3.2, 3.4]);
  assert.deepEqual(niceAxis(0, 0, 2).ticks, [-1, 0, 1]);
  assert.deepEqual(niceAxis(5, -5, 4).ticks, [-6, -4, -2, 0, 2, 4, 6]);
  assert.deepEqual(niceAxis(1, 2, 5, 1).ticks, [1, 2]);
  assert.equal(formatTick(0.30000000000000004, 0.1), '0.3');
  assert.equal(formatTick(15000, 5000), '15k');
  assert.equal(formatTick(2500000, 500000), '2.5M');
  assert.deepEqual([1.1e-4, 1.05e-4, 1e-4, 9.5e-5, 0].map((x) => formatTick(x, 5e-6)), ['1.10e-4', '1.05e-4', '1.00e-4', '9.5e-5', '0']);
});

test('rolling mean: trailing window, gaps skipped', () => {
  assert.deepEqual(rollingMean([1, 2, 3, 4, 5], 2), [1, 1.5, 2.5, 3.5, 4.5]);
  assert.deepEqual(rollingMean([1, null, 3, null, null], 2), [1, 1, 3, 3, null]);
  assert.deepEqual(rollingMean([2, 4], 1), [2, 4]);
  // Against the direct definition on a long noisy series with gaps.
  const xs = Array.from({ length: 2000 }, (_, i) => (i % 97 === 0 ? null : Math.sin(i) * 1e3 + i));
  const direct = xs.map((_, i) => {
    const win = xs.slice(Math.max(0, i - 49), i + 1).filter((v): v is number => v !== null);
    return win.length ? win.reduce((a, b) => a + b, 0) / win.length : null;
  });
  rollingMean(xs, 50).forEach((v, i) => assert.ok(Math.abs((v as number) - (direct[i] as number)) < 1e-9, `at ${i}`));
});

test('faceted chart is well-formed SVG with panels, ticks, legend, stage rules and raw+mean lines', () => {
  const n = 100;
  const s1: ChartSeries = { name: 'stage 1', points: Array.from({ length: 50 }, (_, i) => [i + 1, (i % 7) / 10] as const) };
  const s2: ChartSeries = { name: 'stage 2', points: Array.from({ length: 50 }, (_, i) => [i + 51, 0.5 + (i % 5) / 10] as const) };
  const ent: ChartSeries = { name: 'entropy', points: Array.from({ length: n }, (_, i) => [i + 1, i === 40 ? null : 100 + i] as const) };
  const svg = chartSvg(
    [
      { title: 'Reward <&> "q"', series: [s1, s2] },
      { title: 'Entropy', series: [ent], yLabel: 'nats' },
      { title: 'KL', series: [] },
    ],
    { title: 'Run', xLabel: 'step', vRules: [{ x: 51, label: 'stage 2' }], width: 800 },
  );
  const root = parseXml(svg);
  assert.equal(root.name, 'svg');
  assert.equal(root.attrs['xmlns'], 'http://www.w3.org/2000/svg');
  assert.equal(root.attrs['width'], '800');
  assert.ok(!/NaN|Infinity|undefined/.test(svg), 'no non-finite coordinates');
  const panels = findAll(root, (e) => e.attrs['class'] === 'panel');
  assert.deepEqual(panels.map((p) => p.attrs['data-title']), ['Reward <&> "q"', 'Entropy', 'KL']);
  // Reward: a raw and a mean path per stage; the legend names both stages.
  const [reward, entropy, kl] = panels as [typeof root, typeof root, typeof root];
  assert.equal(findAll(reward, (e) => e.name === 'path' && e.attrs['class'] === 'raw').length, 2);
  assert.equal(findAll(reward, (e) => e.name === 'path' && e.attrs['class'] === 'mean').length, 2);
  const raw = findAll(reward, (e) => e.attrs['class'] === 'raw')[0]!;
  assert.equal(raw.attrs['stroke-opacity'], '0.35');
  assert.equal((raw.attrs['d']!.match(/[ML]/g) ?? []).length, 50);
  const legend = findAll(reward, (e) => e.attrs['class'] === 'legend')[0]!;
  assert.equal(textOf(legend), 'stage 1stage 2');
  // Stage rule on each panel that has data, labelled.
  assert.equal(findAll(root, (e) => e.attrs['class'] === 'vrule').length, 2);
  assert.match(textOf(reward), /stage 2/);
  // Independent y scales: reward ticks 0..1.4 range, entropy ticks around 100..200.
  const yTicks = (p: typeof root) => findAll(p, (e) => e.attrs['class'] === 'y-axis')[0]!.children.filter((c) => c.name === 'text').map(textOf);
  assert.deepEqual(yTicks(reward), ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  assert.equal(yTicks(entropy)[0], '100');
  assert.equal(yTicks(entropy).at(-1), '200');
  // A gap (null) splits the raw path into two sub-paths.
  const entRaw = findAll(entropy, (e) => e.attrs['class'] === 'raw')[0]!;
  assert.equal((entRaw.attrs['d']!.match(/M/g) ?? []).length, 2);
  // Shared x axis with the x label; an empty panel says so.
  assert.match(textOf(entropy), /step/);
  assert.match(textOf(kl), /no data/);
  assert.match(textOf(entropy), /nats/);
});

test('short series are drawn raw only; a lone point is a dot', () => {
  const svg = lineChartSvg({ title: 'x', series: [{ name: 'a', points: [[1, 1], [2, 2], [3, null], [4, 5]] }] });
  const root = parseXml(svg);
  assert.equal(findAll(root, (e) => e.attrs['class'] === 'mean').length, 0);
  assert.equal(findAll(root, (e) => e.name === 'circle').length, 1);
  assert.equal(findAll(root, (e) => e.attrs['class'] === 'raw')[0]!.attrs['stroke-opacity'], undefined);
});

test('PNG pixels: the line is drawn where the SVG puts it; text renders when fonts exist', async () => {
  // A rising line on a white background, no smoothing.
  const svg = chartSvg([{ title: 'T', series: [{ name: 'r', points: [[0, 0], [10, 10]] }] }], { width: 400, panelHeight: 200, smooth: 1 });
  const img = decodePng(await svgToPng(svg));
  assert.equal(img.width, 400);
  // Plot box: x 52..380, y 40..166 (MARGIN). The line runs from bottom-left to top-right:
  // dark-ish pixels near the bottom-left corner of the plot, none in the empty top-left.
  assert.ok(darkPixels(img, 55, 150, 90, 166, 200) > 0, 'line near the bottom left');
  assert.equal(darkPixels(img, 60, 45, 120, 80, 200), 0, 'nothing in the empty top left');
  const fonts = spawnSync('fc-list', { encoding: 'utf8' });
  if (fonts.status !== 0 || fonts.stdout.trim() === '') return; // no fonts: text cannot render
  assert.ok(darkPixels(img, 52, 2, 70, 20) > 0, 'the panel title "T" is rendered');
});

test('PNG through resvg: signature, IHDR size, scaled width', async () => {
  const svg = chartSvg([{ title: 'r', series: [{ name: 'r', points: [[0, 0], [1, 1]] }] }], { width: 400, panelHeight: 150 });
  const png = await svgToPng(svg);
  assert.deepEqual(pngSize(png), { width: 400, height: 150 });
  const big = await svgToPng(svg, { width: 800 });
  assert.deepEqual(pngSize(big), { width: 800, height: 300 });
});

test('long series are thinned for drawing but keep their extremes and gaps', () => {
  const pts = Array.from({ length: 10000 }, (_, i) => [i, i === 5000 ? null : Math.sin(i / 100)] as [number, number | null]);
  pts[1234] = [1234, 7];
  pts[8765] = [8765, -7];
  const d = decimate(pts, 100);
  assert.ok(d.length <= 301, `${d.length}`);
  const ys = d.map((p) => p[1]).filter((y): y is number => y !== null);
  assert.equal(Math.max(...ys), 7);
  assert.equal(Math.min(...ys), -7);
  assert.ok(d.some((p) => p[1] === null));
  assert.ok(d.every((p, i) => i === 0 || p[0] >= d[i - 1]![0]), 'x stays in order');
  assert.deepEqual(decimate(pts.slice(0, 10), 100), pts.slice(0, 10));
  const svg = lineChartSvg({ title: 'long', series: [{ name: 'a', points: pts }] }, { width: 600 });
  assert.ok(svg.length < 60_000, `svg is ${svg.length} bytes`);
  const root = parseXml(svg);
  const yTicks = findAll(root, (e) => e.attrs['class'] === 'y-axis')[0]!.children.filter((c) => c.name === 'text').map(textOf);
  assert.equal(yTicks[0], '-10'); // niceAxis(-7, 7, 4): step 5
  assert.equal(yTicks.at(-1), '10');
});
