// Real-browser tests of a published site in Debian's chromium: summary,
// timeline, details (lazy), search, deep links, gzip both ways, file://,
// classic data and hostile names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { haveChromium, launch, newPage } from './browser.mjs';
import { classicize, publishRun, publishStreams } from './fixtures.mjs';
import { serve } from './server.mjs';

const RUN = 'tempest.subunit';

/** The dstat strips (CPU, memory, network, disk) appear below the lanes. */
function graphs(page) {
  return page.waitForFunction(() => document.querySelectorAll('.strip canvas').length >= 4, null, { timeout: 5000 });
}
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';

describe('published site in chromium', { skip }, () => {
  let root, browser, plain, gz, classic, servers = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-browser-'));
    plain = publishRun(root, 'plain', { tests: 400, workers: 4, unfinished: 1, hostile: true, secondRun: 50 });
    gz = publishRun(root, 'gz', { tests: 300, workers: 3, gzip: true });
    classic = classicize(publishRun(root, 'classic', { tests: 200, workers: 2, unfinished: 0 }));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function site(dir, gzipMode = 'raw') {
    const s = await serve(dir, { gzipMode });
    servers.push(s);
    return s;
  }

  async function open(url, mark) {
    const p = await newPage(browser);
    await p.page.goto(url);
    await p.page.waitForFunction((m) => window.__stackviz && (window.__stackviz.marks[m] !== undefined ||
      window.__stackviz.errors.length > 0), mark);
    const errors = await p.page.evaluate(() => window.__stackviz.errors);
    assert.deepEqual(errors, []);
    return p;
  }

  async function clean(p) {
    const csp = await p.page.evaluate(() => window.__csp);
    assert.deepEqual(csp, [], 'no Content-Security-Policy violation');
    assert.deepEqual(p.problems, [], 'no console error, page error or dialog');
    await p.context.close();
  }

  it('shows the summary with counts, unfinished first, failure messages', async () => {
    const s = await site(plain);
    const p = await open(s.url, 'summary-full');
    const cards = await p.page.locator('.card').allInnerTexts();
    assert.ok(cards.some((c) => /Tests\s+401/.test(c)), cards.join('|'));
    assert.ok(cards.some((c) => /Unfinished\s+1/.test(c)), cards.join('|'));
    const items = p.page.locator('ol.failures > li');
    assert.match(await items.first().innerText(), /unfinished/);
    assert.ok(await items.count() > 2);
    const messages = await p.page.locator('ol.failures pre.message').allInnerTexts();
    assert.ok(messages.length > 0 && messages.every((m) => m.trim().length > 0));
    assert.ok(await p.page.locator('table.slowest tr').count() > 5);
    assert.equal(await p.page.locator('table.workers tr').count(), 5);
    await clean(p);
  });

  it('switches between runs', async () => {
    const s = await site(plain);
    const p = await open(s.url, 'summary-full');
    const options = await p.page.locator('select.run-select option').allInnerTexts();
    assert.deepEqual(options, [RUN, 'second.subunit']);
    await p.page.locator('select.run-select').selectOption('second.subunit');
    await p.page.waitForFunction(() => location.hash.startsWith('#/second.subunit'));
    await p.page.waitForFunction(() => /Tests\s+50\b/.test(document.querySelector('.cards')?.innerText || ''));
    await p.page.locator('header nav a', { hasText: 'Timeline' }).click();
    await p.page.waitForFunction(() => window.__stackviz.view && window.__stackviz.view.run.ref.name === 'second.subunit');
    assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.lanes.length), 2);
    await clean(p);
  });

  it('renders hostile names and logs as text', async () => {
    const s = await site(plain);
    const p = await open(s.url, 'summary-full');
    const hostile = 'tempest.api.hostile.test_markup.<img src=x onerror=alert(1)>';
    await p.page.getByText(hostile, { exact: true }).first().click();
    await p.page.waitForSelector('.details .tab');
    const tabs = await p.page.locator('.details .tab').allInnerTexts();
    assert.match(tabs[0], /^traceback/, 'traceback first');
    await p.page.locator('.details .tab', { hasText: 'pythonlogging' }).click();
    const log = await p.page.locator('.details pre.att').innerText();
    assert.ok(log.includes('</script><script>alert("log")</script>'));
    assert.equal(await p.page.locator('img, script:not([src]), b').count(), 0, 'no injected element');
    assert.equal(await p.page.locator('h2.test-name').innerText(), hostile);
    await clean(p);
  });

  it('draws the timeline, hovers, selects and steps on the same worker', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const canvas = p.page.locator('canvas.lanes');
    const box = await canvas.boundingBox();
    // Pixels in the first lane, a third into the run: a test bar is drawn there.
    const probe = await p.page.evaluate(() => {
      const c = document.querySelector('canvas.lanes');
      const ctx = c.getContext('2d');
      const dpr = window.devicePixelRatio;
      const y = Math.round((18 + 8) * dpr);
      const row = ctx.getImageData(Math.round(100 * dpr), y, Math.round((c.width / dpr - 120) * dpr), 1).data;
      let green = 0;
      for (let i = 0; i < row.length; i += 4) if (row[i + 1] > 120 && row[i] < 120) green++;
      return green;
    });
    assert.ok(probe > 50, `green test bars drawn in lane 0 (${probe} px)`);
    // Hover shows a tooltip; a click selects and routes.
    const target = await p.page.evaluate(() => {
      const v = window.__stackviz.view;
      const lane = v.run.lanes[0];
      const t = v.run.tests[lane.tests[Math.floor(lane.tests.length / 2)]];
      return { x: v.tl.xOf((t.start + t.end) / 2), id: t.id, lane: t.lane, start: t.start };
    });
    await p.page.mouse.move(box.x + target.x, box.y + 18 + 8);
    await p.page.waitForSelector('.tip.on');
    await p.page.mouse.click(box.x + target.x, box.y + 18 + 8);
    await p.page.waitForFunction((id) => decodeURIComponent(location.hash).includes(`/timeline/${id}`), target.id);
    await p.page.waitForSelector('.selected .details .tab');
    await p.page.keyboard.press('ArrowRight');
    await p.page.waitForFunction((id) => window.__stackviz.view.tl.selected.id !== id, target.id);
    const next = await p.page.evaluate(() => {
      const t = window.__stackviz.view.tl.selected;
      return { lane: t.lane, start: t.start, id: t.id };
    });
    assert.equal(next.lane, target.lane);
    assert.ok(next.start >= target.start && next.id !== target.id);
    await p.page.keyboard.press('ArrowLeft');
    await p.page.waitForFunction((id) => window.__stackviz.view.tl.selected.id === id, target.id);
    // Wheel zooms in; the overview brush follows.
    const span0 = await p.page.evaluate(() => window.__stackviz.view.tl.t1 - window.__stackviz.view.tl.t0);
    await p.page.mouse.move(box.x + box.width / 2, box.y + 30);
    await p.page.mouse.wheel(0, -400);
    await p.page.waitForFunction((s0) => window.__stackviz.view.tl.t1 - window.__stackviz.view.tl.t0 < s0 * 0.8, span0);
    // Brushing the overview from 10% to 30% of the run shows that window.
    const ov = await p.page.locator('canvas.overview').boundingBox();
    const gutter = 76, pw = ov.width - gutter;
    await p.page.mouse.move(ov.x + gutter + pw * 0.9, ov.y + 10);
    await p.page.mouse.down();
    await p.page.mouse.move(ov.x + gutter + pw * 0.6, ov.y + 10, { steps: 5 });
    await p.page.mouse.up();
    const brushed = await p.page.evaluate(() => {
      const { tl, run } = window.__stackviz.view;
      const full = run.end - run.start;
      return [(tl.t0 - run.start) / full, (tl.t1 - run.start) / full];
    });
    assert.ok(Math.abs(brushed[0] - 0.6) < 0.02 && Math.abs(brushed[1] - 0.9) < 0.02, JSON.stringify(brushed));
    // dstat strips share the axis; any numeric column can be added, and removed.
    await graphs(p.page);
    const strips = await p.page.locator('.strip canvas').count();
    const options = await p.page.locator('select.column-select option').allInnerTexts();
    assert.ok(options.includes('load avg_1m'), options.join('|'));
    await p.page.locator('select.column-select').selectOption('load avg_1m');
    assert.equal(await p.page.locator('.strip canvas').count(), strips + 1);
    await p.page.locator('.strip-remove').click();
    assert.equal(await p.page.locator('.strip canvas').count(), strips);
    await clean(p);
  });

  it('loads one details shard only, lazily', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null && t.shard > 0).id);
    const before = s.requests.filter((r) => r.includes('-details')).length;
    assert.equal(before, 0, 'no details fetched before a test is opened');
    await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
    await p.page.waitForSelector('.details .tab');
    const det = s.requests.filter((r) => r.includes('-details'));
    assert.equal(det.length, 1, det.join(', '));
    assert.match(det[0], /-details\/\d+\.json$/);
    await clean(p);
  });

  it('filters log levels keeping continuation lines', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null && t.status === 0).id);
    await p.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent(id)}`);
    await p.page.waitForSelector('.details select.level');
    const all = await p.page.locator('.details pre.att').innerText();
    await p.page.locator('.details select.level').selectOption({ label: 'INFO and above' });
    const info = await p.page.locator('.details pre.att').innerText();
    assert.ok(info.length < all.length, 'DEBUG records dropped');
    assert.ok(!/^\d{4}-\d\d-\d\d \S+ \d+ DEBUG /m.test(info));
    // Each kept line is in the full log, in order: continuation lines came along.
    const kept = info.split('\n').filter((l) => !/^\d{4}-/.test(l) && l.trim());
    assert.ok(kept.every((l) => all.includes(l)));
    await clean(p);
  });

  it('searches names with status toggles and a jump list', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    // A word from a real name, upper-cased: the search ignores case.
    const word = await p.page.evaluate(() => window.__stackviz.view.run.tests[7].name.split('.')[2]);
    await p.page.fill('input.search', word.toUpperCase());
    await p.page.waitForSelector('ol.jump.on');
    const items = await p.page.locator('ol.jump .jump-item').allInnerTexts();
    const expected = await p.page.evaluate((w) =>
      window.__stackviz.view.run.tests.filter((t) => t.name.includes(w)).length, word);
    assert.ok(expected > 0);
    assert.equal(items.length, Math.min(expected, 200));
    assert.ok(items.every((t) => t.includes(word)));
    await p.page.locator('input.toggle-success').uncheck();
    const count = await p.page.locator('.count').innerText();
    const expected2 = await p.page.evaluate((w) => window.__stackviz.view.run.tests.filter(
      (t) => t.status !== 0 && t.name.includes(w)).length, word);
    assert.match(count, new RegExp(`^${expected2} of `));
    await p.page.locator('ol.jump .jump-item').first().click();
    await p.page.waitForSelector('.selected .details h2');
    // The search and toggles are in the URL.
    await p.page.waitForFunction(() => location.hash.includes('q=') && location.hash.includes('st=success'));
    await clean(p);
  });

  it('restores a view from a deep link', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const t = await p.page.evaluate(() => {
      const r = window.__stackviz.view.run;
      const t = r.tests[Math.floor(r.tests.length / 2)];
      return { id: t.id, off: (t.start - r.start) / 1000 };
    });
    await p.context.close();
    const url = `${s.url}#/${RUN}/timeline/${encodeURIComponent(t.id)}?q=test&from=${t.off - 5}&to=${t.off + 5}`;
    const q = await open(url, 'timeline');
    const got = await q.page.evaluate(() => {
      const v = window.__stackviz.view;
      return { id: v.tl.selected && v.tl.selected.id, span: v.tl.t1 - v.tl.t0,
        q: document.querySelector('input.search').value, name: document.querySelector('.selected h2').textContent };
    });
    assert.equal(got.id, t.id);
    assert.equal(got.q, 'test');
    assert.ok(Math.abs(got.span - 10000) < 1, `window of 10 s, got ${got.span}`);
    assert.ok(got.name.length > 0);
    // A link to one test alone zooms to it.
    await q.page.goto('about:blank');
    await q.page.goto(`${s.url}#/${RUN}/timeline/${encodeURIComponent(t.id)}`);
    await q.page.waitForFunction(() => window.__stackviz?.view?.tl.selected);
    const z = await q.page.evaluate(() => {
      const { tl, run } = window.__stackviz.view;
      return { span: tl.t1 - tl.t0, full: run.end - run.start, inView: tl.selected.start >= tl.t0 && tl.selected.end <= tl.t1 };
    });
    assert.ok(z.inView && z.span < z.full / 2, JSON.stringify(z));
    // Summary and test routes.
    await q.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent(t.id)}`);
    await q.page.waitForSelector('.details .tab, .details .none');
    assert.equal(await q.page.locator('.details').getAttribute('data-test'), t.id);
    await clean(q);
  });

  for (const mode of ['raw', 'encoding']) {
    it(`reads gzipped data served ${mode === 'raw' ? 'as raw bytes' : 'with Content-Encoding'}`, async () => {
      const s = await site(gz, mode);
      const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
      assert.ok(s.requests.some((r) => r.endsWith('-raw.json.gz')), s.requests.join(' '));
      const n = await p.page.evaluate(() => window.__stackviz.view.run.tests.length);
      assert.ok(n >= 300);
      await graphs(p.page);
      const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null).id);
      await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
      await p.page.waitForSelector('.details .tab');
      assert.ok(s.requests.some((r) => /-details\/\d+\.json\.gz$/.test(r)));
      await clean(p);
    });
  }

  for (const [label, which] of [['plain', () => plain], ['gzipped', () => gz]]) {
    it(`opens from file:// (${label} data, script twins)`, async () => {
      const base = pathToFileURL(join(which(), 'index.html')).href;
      const p = await open(base, 'summary-full');
      assert.ok(await p.page.locator('ol.failures > li').count() > 0);
      await p.page.goto(`${base}#/${RUN}/timeline`);
      await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
      const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null).id);
      await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/timeline/${encodeURIComponent(id)}`);
      await p.page.waitForSelector('.selected .details .tab');
      await graphs(p.page);
      assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
      await clean(p);
    });
  }

  it('reads data written by the classic stackviz-export', async () => {
    const s = await site(classic);
    const p = await open(s.url, 'summary-full');
    const cards = await p.page.locator('.card').allInnerTexts();
    assert.ok(cards.some((c) => /Tests\s+200/.test(c)), cards.join('|'));
    await p.page.goto(`${s.url}#/${RUN}/timeline`);
    await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
    assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.lanes.length), 2);
    assert.ok(!s.requests.some((r) => r.includes('details')), 'details not fetched up front');
    const t = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.status === 1));
    await p.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent(t.id)}`);
    await p.page.waitForSelector('.details .tab');
    assert.match((await p.page.locator('.details .tab').allInnerTexts())[0], /^traceback/);
    assert.ok(s.requests.some((r) => r.endsWith('-details.json')));
    await clean(p);
  });

  const REAL = '/work/shared/data/subunit';
  it('shows every real stream of the shared data set', {
    skip: existsSync(REAL) ? false : `${REAL} is absent: no real streams to check`,
  }, async () => {
    const streams = readdirSync(REAL).filter((f) => f.endsWith('.subunit')).map((f) => join(REAL, f));
    const dir = publishStreams(root, 'real', streams);
    const s = await site(dir);
    const p = await open(s.url, 'summary-full');
    const runs = await p.page.locator('select.run-select option').allInnerTexts();
    assert.equal(runs.length, streams.length);
    for (const run of runs) {
      await p.page.goto(`${s.url}#/${encodeURIComponent(run)}/timeline`);
      await p.page.waitForFunction((r) => window.__stackviz.view?.run.ref.name === r || window.__stackviz.errors.length, run);
      const n = await p.page.evaluate(() => window.__stackviz.view.run.tests.length);
      await p.page.goto(`${s.url}#/${encodeURIComponent(run)}`);
      await p.page.waitForFunction((n) => new RegExp(`Tests\\s+${n}\\b`).test(document.querySelector('.cards')?.innerText || ''), n);
    }
    assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
    await clean(p);
  });

  it('says in one line which file is damaged, and shows the rest', async () => {
    const dir = join(root, 'damaged');
    cpSync(plain, dir, { recursive: true });
    writeFileSync(join(dir, 'data', `${RUN}-0-raw.json`), '[{"name": "cut here');
    const s = await site(dir);
    const p = await newPage(browser);
    await p.page.goto(s.url);
    await p.page.waitForSelector('p.error');
    assert.match(await p.page.locator('p.error').innerText(), new RegExp(`^${RUN}-0-raw\\.json is not valid JSON`));
    assert.ok(await p.page.locator('.card').count() > 3, 'the summary from stats.json stays');
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('keeps the timeline when the dstat log is damaged', async () => {
    const dir = join(root, 'damaged-dstat');
    cpSync(plain, dir, { recursive: true });
    writeFileSync(join(dir, 'data', 'dstat.csv'), 'not,a,dstat\nlog\n');
    const s = await site(dir);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    await p.page.waitForSelector('.graphs p.error');
    assert.match(await p.page.locator('.graphs p.error').innerText(), /^Resource graphs of node primary unavailable: .*no header row/);
    await clean(p);
  });

  it('reads logs gzipped after the export (devstack-gate) from object storage', async () => {
    // gzip -9 of every *.json, config.json included, originals gone; .gz served raw.
    const dir = join(root, 'post-gzip');
    cpSync(plain, dir, { recursive: true });
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const f = join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (f.endsWith('.json')) {
          writeFileSync(f + '.gz', gzipSync(readFileSync(f), { level: 9 }));
          rmSync(f);
        }
      }
    };
    walk(join(dir, 'data'));
    const s = await site(dir, 'raw');
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null).id);
    await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
    await p.page.waitForSelector('.details .tab');
    assert.ok(s.requests.includes('/data/config.json.gz'));
    assert.ok(s.requests.some((r) => /-details\/\d+\.json\.gz$/.test(r)));
    // The 404s of the first tries are the only console errors.
    p.problems.splice(0, p.problems.length, ...p.problems.filter((m) => !/status of 404/.test(m)));
    await clean(p);
  });

  it('says clearly when classic data is opened from file://', async () => {
    const p = await newPage(browser);
    await p.page.goto(pathToFileURL(join(classic, 'index.html')).href);
    await p.page.waitForSelector('p.error');
    assert.match(await p.page.locator('p.error').innerText(), /config/);
    await p.context.close();
  });
});
