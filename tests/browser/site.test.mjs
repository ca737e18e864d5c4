// Copyright stackviz-publish developers.
//
// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License. You may obtain
// a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
// License for the specific language governing permissions and limitations
// under the License.

// Real-browser tests of a published site in Debian's chromium: summary,
// timeline, details (lazy), search, deep links, gzip both ways, file:// and
// hostile names (v1 and classic data: formats.test.mjs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeClean, haveChromium, launch, newPage, openPage } from './browser.mjs';
import { REPO, publishRun, publishV1, publishStreams, squeezeTime } from './fixtures.mjs';
import { execFileSync } from 'node:child_process';
import { serverPool } from './server.mjs';

const RUN = 'tempest.subunit';

/** The dstat strips (CPU, memory, network, disk) appear below the lanes. */
function graphs(page) {
  return page.waitForFunction(() => document.querySelectorAll('.strip canvas').length >= 4, null, { timeout: 5000 });
}
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';

describe('published site in chromium', { skip }, () => {
  let root, browser, plain, gz, many;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-browser-'));
    plain = publishRun(root, 'plain', { tests: 400, workers: 4, unfinished: 1, hostile: true, secondRun: 50 });
    gz = publishRun(root, 'gz', { tests: 300, workers: 3, gzip: true });
    // A Tempest run broken by one cause: 300 failures with the same ImportError.
    many = publishRun(root, 'many', { tests: 2000, workers: 4, unfinished: 1, sameCause: 300, logBytes: 4096 });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await pool.closeAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const pool = serverPool();
  const site = pool.site;
  const open = (url, mark, viewport, options) => openPage(browser, url, mark, viewport, options);
  const clean = closeClean;

  it('shows the summary with counts, unfinished first, failure messages', async () => {
    const s = await site(plain);
    const p = await open(s.url, 'summary-full');
    const cards = await p.page.locator('.card').allInnerTexts();
    assert.ok(cards.some((c) => /Tests\s+401/.test(c)), cards.join('|'));
    assert.ok(cards.some((c) => /Unfinished\s+1/.test(c)), cards.join('|'));
    const groups = p.page.locator('.failure-groups details.group');
    assert.match(await groups.first().innerText(), /Never finished/);
    assert.ok(await groups.count() > 2);
    const messages = await p.page.locator('.failure-groups .cause').allInnerTexts();
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
    await p.page.fill('input.summary-filter', 'hostile');
    await p.page.getByText(hostile, { exact: true }).first().click();
    await p.page.waitForSelector('.details .tab');
    const tabs = await p.page.locator('.details .tab').allInnerTexts();
    assert.match(tabs[0], /^traceback/, 'traceback first');
    await p.page.locator('.details .tab', { hasText: 'pythonlogging' }).click();
    const log = await p.page.locator('.details pre.att').innerText();
    assert.ok(log.includes('</script><script>alert("log")</script>'));
    assert.equal(await p.page.locator('img, body script, b').count(), 0, 'no injected element');
    // The inline scripts are the page's own two (index.html's head, pinned by the CSP).
    assert.equal(await p.page.locator('script:not([src])').count(), 2, 'no injected inline script');
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
      return { x: v.timeline.xOf((t.start + t.end) / 2), id: t.id, lane: t.lane, start: t.start };
    });
    await p.page.mouse.move(box.x + target.x, box.y + 18 + 8);
    await p.page.waitForSelector('.tip.on');
    await p.page.mouse.click(box.x + target.x, box.y + 18 + 8);
    await p.page.waitForFunction((id) => decodeURIComponent(location.hash).includes(`/timeline/${id}`), target.id);
    await p.page.waitForSelector('.selected .details .tab');
    await p.page.keyboard.press('ArrowRight');
    await p.page.waitForFunction((id) => window.__stackviz.view.timeline.selected.id !== id, target.id);
    const next = await p.page.evaluate(() => {
      const t = window.__stackviz.view.timeline.selected;
      return { lane: t.lane, start: t.start, id: t.id };
    });
    assert.equal(next.lane, target.lane);
    assert.ok(next.start >= target.start && next.id !== target.id);
    await p.page.keyboard.press('ArrowLeft');
    await p.page.waitForFunction((id) => window.__stackviz.view.timeline.selected.id === id, target.id);
    // Wheel zooms in; the overview brush follows.
    const span0 = await p.page.evaluate(() => window.__stackviz.view.timeline.t1 - window.__stackviz.view.timeline.t0);
    await p.page.mouse.move(box.x + box.width / 2, box.y + 30);
    await p.page.mouse.wheel(0, -400);
    await p.page.waitForFunction((s0) => window.__stackviz.view.timeline.t1 - window.__stackviz.view.timeline.t0 < s0 * 0.8, span0);
    // Brushing the overview from 10% to 30% of the run shows that window.
    const ov = await p.page.locator('canvas.overview').boundingBox();
    const gutter = 76, pw = ov.width - gutter;
    await p.page.mouse.move(ov.x + gutter + pw * 0.9, ov.y + 10);
    await p.page.mouse.down();
    await p.page.mouse.move(ov.x + gutter + pw * 0.6, ov.y + 10, { steps: 5 });
    await p.page.mouse.up();
    const brushed = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      const full = run.end - run.start;
      return [(tl.t0 - run.start) / full, (tl.t1 - run.start) / full];
    });
    assert.ok(Math.abs(brushed[0] - 0.6) < 0.02 && Math.abs(brushed[1] - 0.9) < 0.02, JSON.stringify(brushed));
    // dstat strips share the axis; any numeric column can be added, and removed.
    await graphs(p.page);
    const strips = await p.page.locator('.strip canvas').count();
    const options = await p.page.locator('select.column-select option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(options.includes('load avg_1m'), options.join('|'));
    await p.page.locator('select.column-select').selectOption('load avg_1m');
    assert.equal(await p.page.locator('.strip canvas').count(), strips + 1);
    await p.page.locator('.strip-remove').click();
    assert.equal(await p.page.locator('.strip canvas').count(), strips);
    await clean(p);
  });

  it('loads one test shard only, lazily', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.filter((t) => t.status === 1).pop().id);
    const details = () => s.requests.filter((r) => /-(details|tests|ids)\//.test(r));
    assert.deepEqual(details(), [], 'no details fetched before a test is opened');
    await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
    await p.page.waitForSelector('.details .tab');
    // The test's shard, found from the run or through the id index (one bucket).
    const det = details();
    assert.equal(det.filter((r) => /-tests\/\d+\.js$/.test(r)).length, 1, det.join(', '));
    assert.ok(det.filter((r) => /-ids\//.test(r)).length <= 1, det.join(', '));
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
      return { id: v.timeline.selected && v.timeline.selected.id, span: v.timeline.t1 - v.timeline.t0,
        q: document.querySelector('input.search').value, name: document.querySelector('.selected h2').textContent };
    });
    assert.equal(got.id, t.id);
    assert.equal(got.q, 'test');
    assert.ok(Math.abs(got.span - 10000) < 1, `window of 10 s, got ${got.span}`);
    assert.ok(got.name.length > 0);
    // A link to one test alone zooms to it.
    await q.page.goto('about:blank');
    await q.page.goto(`${s.url}#/${RUN}/timeline/${encodeURIComponent(t.id)}`);
    await q.page.waitForFunction(() => window.__stackviz?.view?.timeline.selected);
    const z = await q.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
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
      assert.ok(s.requests.some((r) => r.endsWith('-timeline.js')), s.requests.join(' '));
      const n = await p.page.evaluate(() => window.__stackviz.view.run.tests.length);
      assert.ok(n >= 300);
      await graphs(p.page);
      const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.status === 1).id);
      await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
      await p.page.waitForSelector('.details .tab');
      assert.ok(s.requests.some((r) => /-tests\/\d+\.js$/.test(r)));
      await clean(p);
    });
  }

  for (const [label, which] of [['plain', () => plain], ['gzipped', () => gz]]) {
    // stackviz-export writes raw.json without a twin: from file:// the timeline is read.
    it(`opens from file:// (${label} data, script twins)`, async () => {
      const base = pathToFileURL(join(which(), 'index.html')).href;
      const p = await open(base, 'summary-full');
      assert.ok(await p.page.locator('.failure-groups details.group').count() > 0);
      await p.page.goto(`${base}#/${RUN}/timeline`);
      await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
      const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.status === 1).id);
      await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/timeline/${encodeURIComponent(id)}`);
      await p.page.waitForSelector('.selected .details .tab');
      await graphs(p.page);
      assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
      await clean(p);
    });
  }

  // --- Triage (issue 12): a run with 300 failures from one cause ---------------

  /** Every text box of the page's visible leaf elements that overlaps another. */
  function overlaps(boxes) {
    const out = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push(`${a.text} / ${b.text}`);
      }
    }
    return out;
  }

  it('puts the cause of 300 failures, its count, workers and times on the first screen', async () => {
    const s = await site(many);
    const p = await open(s.url, 'summary-full', { width: 1400, height: 900 });
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-summary.png') });
    const first = await p.page.evaluate(() => {
      const g = [...document.querySelectorAll('.failure-groups details.group.st-fail')];
      const r = (el) => el.getBoundingClientRect();
      return {
        cardsBottom: r(document.querySelector('.cards')).bottom,
        groups: g.map((x) => ({ count: x.querySelector('.count-badge').textContent, cause: x.querySelector('.cause').textContent,
          facts: x.querySelector('.group-facts')?.textContent || '', bottom: r(x.querySelector('summary')).bottom })),
        height: window.innerHeight, scroll: document.documentElement.scrollHeight,
      };
    });
    assert.ok(first.cardsBottom < 200);
    const top = first.groups[0];
    assert.equal(top.count, '300');
    assert.match(top.cause, /^ImportError: cannot import name/);
    assert.match(top.facts, /^workers 0, 1, 2, 3 · from \d\d:\d\d:\d\d UTC to \d\d:\d\d:\d\d UTC/);
    assert.ok(first.groups.every((g) => g.bottom <= first.height), 'every failure group on the first screen');
    const counts = first.groups.map((g) => Number(g.count));
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'largest group first');
    // The page stays short: the 300 tests are behind their group.
    assert.ok(first.scroll < 2 * first.height, `page height ${first.scroll}`);
    await clean(p);
  });

  it('lists a group\'s tests with worker, start, duration and links', async () => {
    const s = await site(many);
    const p = await open(s.url, 'summary-full', { width: 1400, height: 900 });
    const group = p.page.locator('.failure-groups details.group.st-fail').first();
    await group.locator('summary').click();
    const rows = group.locator('table.group-tests tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 51, '50 rows and a header, the rest on demand');
    await group.locator('button.more').click();
    assert.equal(await rows.count(), 301);
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-group-open.png') });
    const cells = await rows.nth(1).locator('td').allInnerTexts();
    assert.match(cells[1], /^worker \d$/);
    assert.match(cells[2], /^\d\d:\d\d:\d\d UTC$/);
    assert.match(cells[3], /^\d+(\.\d+)? (ms|s)$/);
    const hrefs = await rows.nth(1).locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.match(hrefs[0], new RegExp(`^#/${RUN}/test/`));
    assert.match(hrefs[1], new RegExp(`^#/${RUN}/timeline/`));
    await rows.nth(1).locator('a', { hasText: 'timeline' }).click();
    await p.page.waitForFunction(() => window.__stackviz.view?.timeline.selected);
    await clean(p);
  });

  it('narrows the groups with the filter box and the status toggles, kept in the URL', async () => {
    const s = await site(many);
    const p = await open(s.url, 'summary-full');
    const all = await p.page.locator('details.group').count();
    const name = await p.page.evaluate(async () => {
      const r = await fetch('data/tempest.subunit-0-stats.json').then((x) => x.json());
      return r.failures.find((f) => !f.details.join('').includes('ImportError')).name;
    });
    await p.page.fill('input.summary-filter', name.split('.').pop().toUpperCase());
    await p.page.waitForFunction((n) => document.querySelectorAll('details.group').length < n, all);
    const shown = await p.page.locator('details.group').count();
    assert.ok(shown >= 1 && shown < all);
    assert.match(await p.page.locator('.triage .count').innerText(), /^\d+ groups?, \d+ tests? match$/);
    // The matching test is listed at once in its (opened) group.
    assert.ok(await p.page.locator('table.group-tests a.fname', { hasText: name }).count() >= 1);
    await p.page.fill('input.summary-filter', 'importerror');
    await p.page.waitForFunction(() => document.querySelectorAll('.failure-groups details.group').length === 1);
    await p.page.locator('input.toggle-fail').uncheck();
    assert.equal(await p.page.locator('.failure-groups details.group.st-fail').count(), 0);
    await p.page.waitForFunction(() => location.hash.includes('q=importerror') && location.hash.includes('st=fail'));
    await p.page.reload();
    await p.page.waitForFunction(() => window.__stackviz.marks['summary-full'] !== undefined);
    assert.equal(await p.page.locator('input.summary-filter').inputValue(), 'importerror');
    assert.equal(await p.page.locator('input.toggle-fail').isChecked(), false);
    await clean(p);
  });

  it('marks class fixture failures as failing their class, groups skips by reason', async () => {
    const s = await site(many);
    const p = await open(s.url, 'summary-full');
    await p.page.fill('input.summary-filter', 'setUpClass');
    const badge = p.page.locator('table.group-tests .class-badge').first();
    await badge.waitFor();
    assert.equal(await badge.innerText(), 'whole class');
    assert.match(await badge.getAttribute('title'), /every test of tempest\.api\.\S+ failed/);
    assert.match(await p.page.locator('.failure-groups .group-facts', { hasText: 'class fixture' }).first().innerText(),
      /class fixture failed: 1 whole class failed/);
    await p.page.fill('input.summary-filter', '');
    const skipped = Number((await p.page.locator('.card.st-skip .value').innerText()).trim());
    await p.page.locator('.skip-groups button.more').click();
    const counts = await p.page.locator('.skip-groups .count-badge').allInnerTexts();
    assert.equal(counts.reduce((a, b) => a + Number(b), 0), skipped, 'the skip groups hold every skip');
    assert.ok(counts.length < skipped, 'skips grouped');
    assert.ok(await p.page.locator('.skip-groups .cause', { hasText: 'Skipped until bug <n> is resolved.' }).count() === 0,
      'the first reason is shown as it was written');
    await clean(p);
  });

  it('counts tests as the CLI does, with correct plurals', async () => {
    const s = await site(many);
    const p = await newPage(browser);
    // The quick summary (stats.json) and the full one (raw.json) say the same.
    await p.page.route('**/*-raw.json*', async (route) => { await new Promise((r) => setTimeout(r, 800)); await route.continue(); });
    await p.page.goto(s.url);
    await p.page.waitForFunction(() => window.__stackviz.marks.summary !== undefined);
    const quick = await p.page.locator('.card', { hasText: 'Tests' }).innerText();
    await p.page.waitForFunction(() => window.__stackviz.marks['summary-full'] !== undefined);
    const full = await p.page.locator('.card', { hasText: 'Tests' }).innerText();
    assert.equal(quick, full);
    assert.match(full, /Tests\s+2000/);
    // The exporter's own summary line counts the same tests.
    const cli = execFileSync(process.env.STACKVIZ_PYTHON || 'python3', ['-m', 'stackviz_publish.cli.export_cmd', '-f',
      join(root, 'many-src', 'tempest.subunit'), join(root, 'many-cli')], { cwd: REPO, encoding: 'utf8' });
    assert.match(cli, /: 2000 tests, /, cli);
    const text = await p.page.locator('main').innerText();
    assert.ok(!/\b1 (tests|groups|reasons|workers)\b/.test(text), 'no "1 tests"');
    assert.match(text, /What went wrong: \d+ tests in \d+ groups/);
    // Idle gaps stop at each worker's last test.
    await p.page.goto(`${s.url}#/${RUN}/timeline`);
    await p.page.waitForFunction(() => window.__stackviz.view);
    const gaps = await p.page.evaluate(() => window.__stackviz.view.run.lanes.map((l) => ({
      end: l.longestGapAt + l.longestGap, last: Math.max(...l.ends), gap: l.longestGap })));
    for (const g of gaps) assert.ok(g.end <= g.last, JSON.stringify(g));
    await p.context.close();
  });

  it('shows every time in one notation, switched in the header and kept in the URL', async () => {
    const s = await site(many);
    const p = await open(s.url, 'summary-full', null, { timezoneId: 'Asia/Kolkata' });
    const facts = () => p.page.locator('.failure-groups details.group.st-fail .group-facts').first().innerText();
    assert.match(await facts(), /from \d\d:\d\d:\d\d UTC to/);
    await p.page.locator('select.time-mode').selectOption('rel');
    await p.page.waitForFunction(() => location.hash.includes('t=rel') && window.__stackviz.marks['summary-full'] !== undefined);
    await p.page.waitForFunction(() => /from \+\d+:\d\d to \+\d+:\d\d/.test(document.querySelector('.group-facts')?.textContent || '')
      || /from \+\d+:\d\d to/.test(document.querySelectorAll('.group-facts')[1]?.textContent || ''));
    await p.page.locator('select.time-mode').selectOption('local');
    await p.page.waitForFunction(() => location.hash.includes('t=local'));
    await p.page.waitForFunction(() => [...document.querySelectorAll('.group-facts')].some((e) => /UTC\+05:30/.test(e.textContent)));
    assert.match(await p.page.locator('.card', { hasText: 'Date' }).innerText(), /2018-09-28 08:16:35 UTC\+05:30/);
    // Links made on the page carry the notation: details and the timeline follow it.
    const link = p.page.locator('.failure-groups table.group-tests a.fname').first();
    await p.page.locator('.failure-groups details.group.st-fail summary').first().click();
    assert.match(await link.getAttribute('href'), /\?t=local$/);
    await link.click();
    await p.page.waitForSelector('.details .facts .time');
    assert.match(await p.page.locator('.details .facts .time').innerText(), /^\d\d:\d\d:\d\d\.\d{3} UTC\+05:30$/);
    await p.page.locator('header nav a', { hasText: 'Timeline' }).click();
    await p.page.waitForFunction(() => location.hash.includes('/timeline') && location.hash.includes('t=local'));
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-local-time.png') });
    await clean(p);
  });

  it('steps through failures from the details page, by link and by keyboard', async () => {
    const s = await site(many);
    const p = await open(s.url, 'summary-full', { width: 1400, height: 900 });
    await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.url.replace(/\/$/, '') });
    await p.page.locator('.failure-groups details.group.st-fail summary').first().click();
    await p.page.locator('.failure-groups details.group.st-fail table.group-tests a.fname').first().click();
    await p.page.waitForSelector('.details .pager');
    const pos = await p.page.locator('.pager .position').innerText();
    assert.match(pos, /^failure 2 of 342$/, 'the unfinished test is failure 1');
    assert.equal(await p.page.locator('header nav a.on').innerText(), 'Test details');
    assert.equal(await p.page.locator('.details').evaluate((e) => getComputedStyle(e).borderTopWidth), '0px', 'no rule above the title');
    const id0 = await p.page.locator('.details').getAttribute('data-test');
    await p.page.locator('.pager a.next').click();
    await p.page.waitForFunction(() => /^failure 3 of/.test(document.querySelector('.pager .position')?.textContent || ''));
    await p.page.keyboard.press('p');
    await p.page.waitForFunction((id) => document.querySelector('.details')?.dataset.test === id, id0);
    await p.page.keyboard.press('n');
    await p.page.waitForFunction(() => /^failure 3 of/.test(document.querySelector('.pager .position')?.textContent || ''));
    await p.page.waitForSelector('.details .tab');
    // Copy buttons: the id and the traceback, as they are.
    const id = await p.page.locator('.details').getAttribute('data-test');
    await p.page.locator('button.copy', { hasText: 'copy id' }).click();
    await p.page.waitForFunction(() => [...document.querySelectorAll('button.copy')].some((b) => b.textContent === 'copied'));
    assert.equal(await p.page.evaluate(() => navigator.clipboard.readText()), id);
    await p.page.locator('button.copy', { hasText: 'copy traceback' }).click();
    const tb = await p.page.evaluate(() => navigator.clipboard.readText());
    assert.match(tb, /^Traceback \(most recent call last\):[\s\S]*ImportError: cannot import name/);
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-details.png') });
    await clean(p);
  });

  it('sets WARNING and ERROR log records apart', async () => {
    const s = await site(many);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null && t.status === 0).id);
    await p.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent(id)}`);
    await p.page.waitForSelector('.details pre.att');
    const spans = p.page.locator('.details pre.att span.lvl-warning');
    assert.ok(await spans.count() > 0, 'WARNING records are marked');
    assert.ok((await spans.allInnerTexts()).every((t) => / WARNING /.test(t.split('\n')[0])));
    const colours = await p.page.evaluate(() => {
      const pre = document.querySelector('.details pre.att');
      return [getComputedStyle(pre).backgroundColor, getComputedStyle(pre.querySelector('.lvl-warning')).backgroundColor];
    });
    assert.notEqual(colours[0], colours[1]);
    assert.equal(await p.page.locator('.details pre.att span:not(.lvl-warning):not(.lvl-error)').count(), 0);
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-log-levels.png') });
    await clean(p);
  });

  it('says so when the URL names an unknown run or test, with links onward', async () => {
    const s = await site(plain);
    const p = await newPage(browser);
    await p.page.goto(`${s.url}#/no-such-run`);
    await p.page.waitForSelector('.not-found');
    assert.match(await p.page.locator('.not-found p.error').innerText(), /no run named "no-such-run"/);
    const runs = await p.page.locator('.not-found li a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(runs.includes(`#/${RUN}`) && runs.includes('#/second.subunit'), runs.join(' '));
    assert.equal(await p.page.locator('.card').count(), 0, 'no other run shown instead');
    await p.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent('tempest.api.gone.Test.test_vanished')}`);
    await p.page.waitForSelector('.not-found');
    assert.match(await p.page.locator('.not-found p.error').innerText(), /has no test with id "tempest\.api\.gone\.Test\.test_vanished"/);
    const onward = await p.page.locator('.not-found a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(onward, [`#/${RUN}`, `#/${RUN}/timeline`, `#/${RUN}/timeline?q=test_vanished`]);
    await p.page.goto(`${s.url}#/${RUN}/timeline/nope`);
    await p.page.waitForSelector('.not-found');
    assert.ok(await p.page.locator('canvas.lanes').count() === 1, 'the timeline still shows');
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('draws resource graphs with y ticks and units, no overlapping labels, values on hover', async () => {
    const s = await site(plain);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
    await graphs(p.page);
    const strip = p.page.locator('.strip canvas').nth(1);
    const box = await strip.boundingBox();
    await p.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await p.page.waitForTimeout(100);
    const drawn = await p.page.evaluate(() => Object.fromEntries(window.__stackviz.view.graphs.drawn));
    assert.deepEqual(Object.keys(drawn), ['CPU', 'Memory used', 'Network', 'Disk']);
    for (const [title, labels] of Object.entries(drawn)) {
      assert.deepEqual(overlaps(labels), [], `${title}: labels overlap`);
      const ticks = labels.filter((l) => l.x + l.w <= 76);
      assert.ok(ticks.length >= 2, `${title}: y ticks`);
      assert.ok(ticks.some((l) => l.text.startsWith('0')), `${title}: a 0 tick`);
      const unit = { CPU: /%$/, 'Memory used': / [kMG]?B$/, Network: / [kMG]?B\/s$/, Disk: / [kMG]?B\/s$/ }[title];
      assert.ok(ticks.every((l) => unit.test(l.text)), `${title}: ${ticks.map((l) => l.text).join(', ')}`);
      // Hovering one strip shows the values under the cursor on every strip.
      const legend = labels.filter((l) => l.x >= 76).map((l) => l.text);
      assert.equal(legend[0], title);
      assert.ok(legend.slice(1).length > 0 && legend.slice(1).every((t) => /\d/.test(t)), `${title}: ${legend.join(' | ')}`);
    }
    // "Memory used" is not followed by a repeated "used".
    assert.ok(!drawn['Memory used'].some((l) => /^■ used/.test(l.text)));
    const values = await p.page.locator('select.column-select option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    assert.equal(new Set(values).size, values.length, 'no duplicate column');
    for (const shown of ['total cpu usage_usr', 'memory usage_used', 'net/total_recv', 'dsk/total_writ']) {
      assert.ok(!values.includes(shown), `${shown} is already graphed`);
    }
    await p.page.locator('select.column-select').selectOption('load avg_1m');
    const after = await p.page.locator('select.column-select option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(!after.includes('load avg_1m'));
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-graphs.png') });
    await clean(p);
  });

  // --- Timeline (issue 12) ------------------------------------------------------

  it('keeps the timeline zoom inside the run, its labels apart and the overview out of the gutter', async () => {
    const s = await site(many);
    const first = await (async () => {
      const raw = JSON.parse(readFileSync(join(many, 'data', `${RUN}-0-raw.json`), 'utf8'));
      return raw.reduce((a, b) => (Date.parse(b.timestamps[0]) < Date.parse(a.timestamps[0]) ? b : a));
    })();
    // A link to the run's first test: the zoom shows no time before the run.
    const p = await open(`${s.url}#/${RUN}/timeline/${encodeURIComponent(first.id)}`, 'timeline', { width: 1400, height: 900 });
    await p.page.waitForFunction(() => window.__stackviz.view?.timeline.selected);
    const v = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      return { t0: tl.t0, t1: tl.t1, start: run.start, end: run.end };
    });
    assert.equal(v.t0, v.start, 'the window starts at the run, not before');
    assert.ok(v.t1 - v.t0 < (v.end - v.start) / 2);
    // The overview's window sits in the plot: no blue in the label column.
    const spill = await p.page.evaluate(() => {
      const c = document.querySelector('canvas.overview');
      const dpr = window.devicePixelRatio;
      const d = c.getContext('2d').getImageData(0, 0, Math.floor(75 * dpr), c.height).data;
      let blue = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 150 && d[i] < 60) blue++;
      return blue;
    });
    assert.equal(spill, 0, 'overview window drawn in the label column');
    // Zooming far out stops at the run.
    const box = await p.page.locator('canvas.lanes').boundingBox();
    await p.page.mouse.move(box.x + box.width / 2, box.y + 40);
    for (let i = 0; i < 8; i++) await p.page.mouse.wheel(0, 800);
    await p.page.waitForFunction(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      return tl.t0 === run.start && tl.t1 === run.end;
    });
    for (const time of ['utc', 'rel']) {
      if (time === 'rel') {
        await p.page.locator('select.time-mode').selectOption('rel');
        await p.page.waitForFunction(() => window.__stackviz.view && window.__stackviz.route.time === 'rel');
        await p.page.waitForTimeout(100);
      }
      const labels = await p.page.evaluate(() => window.__stackviz.view.timeline.axisLabels);
      assert.ok(labels.length >= 4, JSON.stringify(labels));
      for (let i = 1; i < labels.length; i++) assert.ok(labels[i].x >= labels[i - 1].x + labels[i - 1].w + 4, JSON.stringify(labels));
      assert.ok(labels.every((l) => (time === 'rel' ? /^(\+\d+:\d\d|0:00)$/ : /^\d\d:\d\d$/).test(l.text)),
        labels.map((l) => l.text).join(' '));
    }
    await clean(p);
  });

  it('gives the lanes the free height, toggles for present statuses only, unfinished tests first', async () => {
    const s = await site(many);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline', { width: 1400, height: 900 });
    await graphs(p.page);
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-timeline.png') });
    const lane = await p.page.evaluate(() => window.__stackviz.view.timeline.laneHeight);
    assert.ok(lane >= 30, `lanes ${lane} px high on a 900 px screen with 4 workers`);
    const graphsTop = await p.page.locator('.graphs').evaluate((e) => e.getBoundingClientRect().top);
    assert.ok(graphsTop < 900, 'the resource graphs start on the first screen');
    const toggles = await p.page.locator('.searchbar input.toggle').evaluateAll((bs) => bs.map((b) => b.className.replace(/.*toggle-/, '')));
    assert.deepEqual(toggles, ['success', 'fail', 'skip', 'inprogress']);
    // The unfinished test is named above the lanes, first in the jump list, and drawn.
    const note = p.page.locator('.unfinished-note');
    assert.match(await note.innerText(), /^unfinished 1 test never finished: tempest\.api\.\S+ \(worker \d, from \d\d:\d\d:\d\d UTC\)$/);
    await p.page.locator('input.toggle-success').uncheck();
    const firstJump = await p.page.locator('ol.jump .jump-item').first().innerText();
    assert.match(firstJump, /^inprogress /);
    await note.locator('button').click();
    await p.page.waitForFunction(() => window.__stackviz.view.timeline.selected?.status === 5);
    const orange = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      const t = tl.selected;
      const c = document.querySelector('canvas.lanes');
      const dpr = window.devicePixelRatio;
      const x = Math.min(tl.xOf((t.start + t.end) / 2), c.width / dpr - 5);
      const y = 18 + t.lane * tl.laneHeight + tl.laneHeight / 2;
      const [r, g, b] = c.getContext('2d').getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
      return { r, g, b };
    });
    assert.ok(orange.r > 200 && orange.g > 100 && orange.g < 180 && orange.b < 60, JSON.stringify(orange));
    await clean(p);
  });

  it('fills the width with a sub-second run', async () => {
    // squeezeTime rewrites raw.json: a v1 folder, whose tests come from it.
    const dir = squeezeTime(publishV1(root, 'subsecond', { tests: 40, workers: 2, unfinished: 0, dstat: false }), 200);
    const s = await site(dir);
    const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline', { width: 1400, height: 900 });
    const got = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      return { span: run.end - run.start, view: tl.t1 - tl.t0, endX: tl.xOf(run.end), width: tl.el.clientWidth,
        labels: tl.axisLabels.map((l) => l.text) };
    });
    assert.ok(got.span < 1000, `a sub-second run: ${got.span} ms`);
    assert.ok(Math.abs(got.view - got.span) < 1, 'the view is the run');
    assert.ok(got.endX > got.width - 3, `the run's end at ${got.endX} of ${got.width} px`);
    assert.ok(got.labels.length >= 4 && got.labels.every((l) => /^\d\d:\d\d:\d\d\.\d+$/.test(l)), got.labels.join(' '));
    await p.page.screenshot({ path: join(tmpdir(), 'stackviz-triage-subsecond.png') });
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
    // The run's tests: the v2 timeline, which the page reads rather than raw.json.
    writeFileSync(join(dir, 'data', `${RUN}-0-timeline.js`), 'stackvizData("x", "json", "[{\\"name\\": \\"cut here");\n');
    const s = await site(dir);
    const p = await newPage(browser);
    // The summary needs the stats only: it shows whole, and the timeline says what is wrong.
    await p.page.goto(s.url);
    await p.page.waitForFunction(() => window.__stackviz?.marks['summary-full'] !== undefined);
    assert.ok(await p.page.locator('.card').count() > 3, 'the summary from stats.json');
    assert.equal(await p.page.locator('p.error').count(), 0);
    await p.page.goto(`${s.url}#/${RUN}/timeline`);
    await p.page.waitForSelector('p.error');
    assert.match(await p.page.locator('p.error').innerText(), new RegExp(`^${RUN}-0-timeline\\.js is not valid JSON`));
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
    const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.status === 1).id);
    await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
    await p.page.waitForSelector('.details .tab');
    assert.ok(s.requests.includes('/data/config.json.gz'));
    assert.ok(s.requests.some((r) => /-tests\/\d+\.js$/.test(r)));
    // The 404s of the first tries are the only console errors.
    p.problems.splice(0, p.problems.length, ...p.problems.filter((m) => !/status of 404/.test(m)));
    await clean(p);
  });
});
