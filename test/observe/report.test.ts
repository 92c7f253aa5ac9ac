import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../../src/observe/report.ts';
import { watchReport } from '../../src/observe/watch.ts';
import { formatResultsText, headline, pivotResults } from '../../src/observe/eval-table.ts';
import { readMetrics } from '../../src/observe/metrics-log.ts';
import { MetricsLog } from '../../src/observe/metrics-log.ts';
import { FIXTURE_RESULTS, writeFixtureRun } from './fixture.ts';
import { findAll, parseXml, textOf } from './xml.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-report-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function svgsOf(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

test('eval pivot: recipe model order, lengths sorted, per-task rows apart', () => {
  const t = pivotResults(FIXTURE_RESULTS, false);
  assert.deepEqual(t.lengths, [512, 1024]);
  assert.deepEqual(t.rows.map((r) => r.model), ['base', 'sft', 'sft-continued', 'rl-stage1', 'rl-final']);
  assert.deepEqual(t.rows[4]!.cells, [{ accuracy: 60, n: 40 }, { accuracy: 47.5, n: 40 }]);
  const k = pivotResults(FIXTURE_RESULTS, true);
  assert.deepEqual(k.lengths, [1024]);
  assert.deepEqual(k.rows.map((r) => `${r.task}/${r.model}`), ['multi-hop/sft', 'multi-hop/rl-final']);
  assert.equal(
    formatResultsText(FIXTURE_RESULTS),
    [
      'model          len 512  len 1024',
      'base               5.0       2.5',
      'sft               40.0      22.5',
      'sft-continued     42.5      25.0',
      'rl-stage1         55.0      35.0',
      'rl-final          60.0      47.5',
      '',
      'task       model     len 1024',
      'multi-hop  sft           20.0',
      'multi-hop  rl-final      52.5',
      '',
    ].join('\n'),
  );
  assert.equal(formatResultsText([]), '');
  assert.equal(headline(FIXTURE_RESULTS), 'At the longest length (1024): rl-final 47.5% vs sft 22.5% (+25.0 points) and sft-continued 25.0% (+22.5 points).');
  assert.equal(headline(FIXTURE_RESULTS.filter((r) => r.model !== 'rl-final')), 'At the longest length (1024): rl-stage1 35.0% vs sft 22.5% (+12.5 points) and sft-continued 25.0% (+10.0 points).');
  assert.equal(headline([{ model: 'rl-final', length: 8, accuracy: 10, n: 5 }, { model: 'sft', length: 8, accuracy: 30, n: 5 }]), 'At the longest length (8): rl-final 10.0% vs sft 30.0% (−20.0 points).');
  assert.equal(headline(FIXTURE_RESULTS.filter((r) => !r.model.startsWith('rl'))), null);
});

test('report on a full run folder: self-contained HTML with charts, eval table, timing split, config; PNG', async () => {
  await withTempDir(async (dir) => {
    writeFixtureRun(dir);
    mkdirSync(join(dir, 'samples'));
    writeFileSync(join(dir, 'samples', 'step-00000010.jsonl'), '{"old": true}\n');
    const long = 'x'.repeat(2000);
    writeFileSync(join(dir, 'samples', 'step-00000020.jsonl'), `{"id":"q1"}\n{"id":"q2","reward":0}\n{"id":"q3"}\n${JSON.stringify({ id: 'q4', response: `<think>a</think>\n${long}`, reward: 1 })}\n{"id":"q5","resp`);
    const res = await writeReport(dir, { generatedAt: 'fixed' });
    assert.equal(res.html, join(dir, 'report.html'));
    const html = readFileSync(res.html, 'utf8');

    // Self-contained: no scripts, stylesheets, images or URLs other than the SVG namespace.
    assert.ok(!/<script|<link|<img|src=|url\(/i.test(html));
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s"'<]+/g))], ['http://www.w3.org/2000/svg']);
    assert.match(html, /<p class="headline">At the longest length \(1024\): rl-final 47\.5% vs sft 22\.5% \(\+25\.0 points\)/);
    // The config is shown, escaped.
    assert.match(html, /group_size: 8/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);

    // Every chart is well-formed SVG; the main one has reward and accuracy per stage.
    const svgs = svgsOf(html);
    assert.ok(svgs.length >= 5, `expected >= 5 charts, got ${svgs.length}`);
    const trees = svgs.map(parseXml);
    const main = trees[0]!;
    const panels = findAll(main, (e) => e.attrs['class'] === 'panel');
    assert.deepEqual(panels.map((p) => p.attrs['data-title']), ['Reward (critic/score/mean)', 'Accuracy (critic/accuracy)']);
    for (const p of panels) {
      assert.deepEqual(findAll(p, (e) => e.attrs['class'] === 'mean').map((e) => e.attrs['data-series']), ['stage 1', 'stage 2']);
      assert.equal(findAll(p, (e) => e.attrs['class'] === 'vrule').length, 1);
    }
    const allTitles = trees.flatMap((t) => findAll(t, (e) => e.attrs['class'] === 'panel').map((e) => e.attrs['data-title']));
    for (const want of ['Shaped reward (critic/rewards/mean)', 'Response length (response_length/mean)', 'Entropy (actor/entropy)', 'Clip fraction (actor/pg_clipfrac)', 'KL (actor/ppo_kl)', 'Seconds per step', 'sft loss', 'Accuracy by input length', 'curriculum/retro_carried']) {
      assert.ok(allTitles.includes(want), `missing chart ${want}; have ${allTitles.join(' | ')}`);
    }

    // Other metrics: one panel per key, a series per phase that logs it.
    const gn = trees.flatMap((t) => findAll(t, (e) => e.attrs['data-title'] === 'grad_norm'));
    assert.equal(gn.length, 0, 'actor/grad_norm is an RL dynamics chart, not repeated');
    const tokPanel = trees.flatMap((t) => findAll(t, (e) => e.attrs['data-title'] === 'train/tokens'))[0]!;
    assert.deepEqual(findAll(tokPanel, (e) => e.attrs['class'] === 'raw').map((e) => e.attrs['data-series']), ['sft', 'sft-continued', 'rl']);

    // SFT loss: the warm-up, the sft-continued baseline and the held-out loss as series.
    const sftPanel = trees.flatMap((t) => findAll(t, (e) => e.attrs['data-title'] === 'sft loss'))[0]!;
    assert.deepEqual(findAll(sftPanel, (e) => e.attrs['class'] === 'raw').map((e) => e.attrs['data-series']), ['sft', 'sft-continued', 'held-out (eval/heldout_loss)']);
    assert.ok(!allTitles.some((t) => t?.includes('eval/heldout_loss') && t !== 'sft loss'), 'held-out loss is not repeated among other metrics');

    // Evaluation table: header, recipe order, values with n, the best per length in bold.
    const evalHtml = html.slice(html.indexOf('<section id="eval">'), html.indexOf('</section>', html.indexOf('<section id="eval">')));
    assert.match(evalHtml, /<th>model<\/th><th>length 512<\/th><th>length 1024<\/th>/);
    const order = ['base', 'sft', 'sft-continued', 'rl-stage1', 'rl-final'].map((m) => evalHtml.indexOf(`<td>${m}</td>`));
    assert.ok(order.every((x, i) => x >= 0 && (i === 0 || x > (order[i - 1] as number))), `model order ${order}`);
    assert.match(evalHtml, /<tr><td>rl-final<\/td><td><b>60\.0 <span class="n">\(n=40\)<\/span><\/b><\/td><td><b>47\.5 /);
    assert.match(evalHtml, /<tr><td>multi-hop<\/td><td>rl-final<\/td><td><b>52\.5 /);
    assert.match(evalHtml, /<tr><td>multi-hop<\/td><td>sft<\/td><td>20\.0 /);

    // Timing shares from an independent sum over the metrics file, overall and in stage 2.
    const rl = readMetrics(join(dir, 'metrics.jsonl')).filter((l) => l.phase === 'rl');
    const sum = (k: string, ls = rl) => ls.reduce((s, l) => s + (l[k] as number), 0);
    const total = (ls = rl) => sum('timing_s/gen', ls) + sum('timing_s/reward', ls) + sum('timing_s/update_actor', ls);
    const s2 = rl.filter((l) => l.stage === 2);
    const share = ((100 * sum('timing_s/gen')) / total()).toFixed(1);
    const share2 = ((100 * sum('timing_s/gen', s2)) / total(s2)).toFixed(1);
    assert.match(html, /<th>part<\/th><th>stage 1<\/th><th>stage 2<\/th><th>all RL steps<\/th>/);
    const row = new RegExp(`<tr><td>sampling</td><td>[^<]+<span class="n">\\([\\d.]+%\\)</span></td><td>[^<]+<span class="n">\\(${share2}%\\)</span></td><td>[^<]+<span class="n">\\(${share}%\\)</span></td></tr>`);
    assert.match(html, row);
    assert.match(html, /<tr><td>reward<\/td><td>12s <span class="n">/); // 40 steps × 0.3 s
    // Samples: the newest file, its last 3 complete records, long text cut and escaped.
    assert.match(html, /The last 3 records of <code>samples\/step-00000020\.jsonl<\/code>/);
    assert.ok(!html.includes('<dt>old</dt>') && !html.includes('q1') && !html.includes('q5'));
    assert.match(html, /<dt>id<\/dt><dd><code>q2<\/code>/);
    assert.match(html, /<dt>response<\/dt><dd><pre>&lt;think&gt;a&lt;\/think&gt;/);
    assert.match(html, /\[… 917 characters …\]/);
    assert.match(html, /Sample 3 of 3/);
    assert.match(html, /<nav>.*<a href="#samples">samples<\/a>/);
    // Per-stage summary row for stage 2 (steps 61-100 in the fixture).
    assert.match(html, /<tr><td>stage 2<\/td><td>61–100<\/td>/);

    // PNG of the main chart: PNG signature, 1800 px wide.
    assert.equal(res.png, join(dir, 'report.png'));
    const png = readFileSync(res.png!);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.readUInt32BE(16), 1800);
    assert.equal(textOf(main).includes('Reward and accuracy per stage'), true);
  });
});

test('report on partial run folders: missing files and torn lines become notes', async () => {
  await withTempDir(async (dir) => {
    // Only SFT metrics, the last line torn by a kill.
    const log = new MetricsLog(dir, { hostname: 'h' });
    for (let s = 1; s <= 5; s++) log.log({ step: s, phase: 'sft', loss: 1 / s });
    log.close();
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":6,"pha');
    const res = await writeReport(dir, { png: false });
    assert.equal(res.png, null);
    assert.ok(!existsSync(join(dir, 'report.png')));
    const html = readFileSync(res.html, 'utf8');
    assert.match(html, /No RL steps in metrics\.jsonl yet/);
    assert.match(html, /No results\.json/);
    assert.match(html, /No config\.yaml/);
    assert.match(html, /metrics\.jsonl:6: unterminated last line/);
    // The main chart falls back to the SFT loss.
    const main = parseXml(svgsOf(html)[0]!);
    assert.match(textOf(main), /Training loss \(no RL steps yet\)/);
    assert.ok(res.notes.some((n) => n.includes('results.json')));
  });
  await withTempDir(async (dir) => {
    writeFileSync(join(dir, 'results.json'), JSON.stringify([{ model: 'sft', length: 'long', accuracy: 1, n: 1 }]));
    writeFileSync(join(dir, 'ablation.json'), JSON.stringify([
      { variant: 'phased', length: 1024, mean: 41.25, std: 2.5, seeds: 3, n: 40 },
      { variant: 'single-stage', length: 1024, mean: 30, std: 4, seeds: 3, n: 40 },
      { variant: 'phased', length: 512, mean: 60, std: 1, seeds: 3, n: 40 },
      { variant: 'broken' },
    ]));
    writeFileSync(join(dir, 'samples.jsonl'), '{"step":3,"response":"ok"}\n');
    const res = await writeReport(dir);
    const html = readFileSync(res.html, 'utf8');
    assert.match(html, /results\.json: row 0 is not/);
    assert.match(html, /ablation\.json: row 3 is not/);
    assert.match(html, /The last 1 records of <code>samples\.jsonl<\/code>/);
    assert.match(html, /<th>variant<\/th><th>length 512<\/th><th>length 1024<\/th>/);
    assert.match(html, /<tr><td>phased<\/td><td><b>60\.0 ± 1\.0 <span class="n">\(3 seeds, n=40\)<\/span><\/b><\/td><td><b>41\.3 ± 2\.5 /);
    assert.match(html, /<tr><td>single-stage<\/td><td>–<\/td><td>30\.0 ± 4\.0 /);
    assert.match(html, /No metrics yet/);
    for (const s of svgsOf(html)) parseXml(s);
    assert.ok(existsSync(join(dir, 'report.png')));
  });
  await assert.rejects(writeReport(join(tmpdir(), 'longrl-no-such-run-folder')), /does not exist/);
});

test('longrl report RUN_DIR writes the report and names it; bad flags exit 2', async () => {
  await withTempDir(async (dir) => {
    writeFixtureRun(dir, { sftSteps: 3, rlStepsPerStage: 5 });
    const ok = spawnSync(process.execPath, [join(repo, 'bin/longrl.js'), 'report', dir, '--no-png'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `At the longest length (1024): rl-final 47.5% vs sft 22.5% (+25.0 points) and sft-continued 25.0% (+22.5 points).\nReport: ${join(dir, 'report.html')}\n`);
    assert.ok(existsSync(join(dir, 'report.html')));
    assert.ok(!existsSync(join(dir, 'report.png')));
    const bad = spawnSync(process.execPath, [join(repo, 'bin/longrl.js'), 'report', dir, '--smooth', '0'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--smooth must be a positive integer/);
  });
});

test('watchReport rewrites the report when metrics change and stops on abort', async () => {
  await withTempDir(async (dir) => {
    const log = new MetricsLog(dir, { hostname: 'h' });
    log.log({ step: 1, phase: 'rl', stage: 1, 'critic/score/mean': 0.1 });
    const stop = new AbortController();
    const seen: string[] = [];
    const done = watchReport(dir, {
      intervalS: 0.05,
      png: false,
      signal: stop.signal,
      onWrite: (res) => {
        seen.push(readFileSync(res.html, 'utf8'));
        if (seen.length === 1) log.log({ step: 2, phase: 'rl', stage: 1, 'critic/score/mean': 0.2 });
        else stop.abort();
      },
    });
    const count = await done;
    log.close();
    assert.equal(count, 2);
    assert.match(seen[0]!, /Metrics lines: 1\b/);
    assert.match(seen[0]!, /<meta http-equiv="refresh" content="1">/);
    assert.match(seen[1]!, /Metrics lines: 2\b/);
  });
});

test('--compare overlays runs by RL step and tabulates their last RL model', async () => {
  await withTempDir(async (root) => {
    const a = join(root, 'phased');
    const b = join(root, 'single');
    mkdirSync(a);
    mkdirSync(b);
    writeFixtureRun(a, { sftSteps: 20, rlStepsPerStage: 10 });
    writeFixtureRun(b, { sftSteps: 5, rlStepsPerStage: 6, results: false });
    writeFileSync(join(b, 'results.json'), JSON.stringify([{ model: 'rl-stage1', length: 1024, accuracy: 30, n: 40 }]));
    const cli = spawnSync(process.execPath, [join(repo, 'bin/longrl.js'), 'report', a, '--no-png', '--compare', b], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const html = readFileSync(join(a, 'report.html'), 'utf8');
    const sec = html.slice(html.indexOf('<section id="compare">'));
    const svg = parseXml(svgsOf(sec)[0]!);
    const reward = findAll(svg, (e) => e.attrs['data-title'] === 'Reward')[0]!;
    assert.deepEqual(findAll(reward, (e) => e.attrs['class'] === 'raw').map((e) => e.attrs['data-series']), ['phased', 'single']);
    // Both start at RL step 1 on the shared x axis (the first x tick is 0 or 1, not 21).
    assert.match(textOf(findAll(reward, (e) => e.attrs['class'] === 'x-axis')[0]!), /^[01]/);
    assert.match(sec, /<tr><td>phased<\/td><td>rl-final<\/td><td>60\.0 <span class="n">\(n=40\)<\/span><\/td><td>47\.5 /);
    assert.match(sec, /<tr><td>single<\/td><td>rl-stage1<\/td><td>–<\/td><td>30\.0 /);
  });
});
