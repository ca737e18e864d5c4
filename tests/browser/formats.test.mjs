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


// The site on every data format it reads, in chromium: format v2 as `stackviz-publish
// publish` writes it (compressed, and --no-compress), format v1 as published before
// (written by the tests' own v1 writer), and classic data. For v2: the summary needs
// stats only, and a deep link to one test needs neither the timeline nor raw.json.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeClean, haveChromium, launch, newPage, openPage } from './browser.mjs';
import { artifactOf, classicize, publishV1, publishV2, readData } from './fixtures.mjs';
import { serverPool } from './server.mjs';

const RUN = 'tempest.subunit';
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';
const DATA_FILE = /\/data\/(?!config\.js(on)?$)/;

describe('data formats in chromium', { skip }, () => {
  let root, browser;
  const pool = serverPool();
  const site = pool.site;
  const open = (url, mark) => openPage(browser, url, mark);
  const clean = closeClean;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-formats-'));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await pool.closeAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** The facts a details page shows, read from the page. */
  function facts(page) {
    return page.evaluate(() => ({
      name: document.querySelector('.details h2.test-name').textContent,
      facts: document.querySelector('.details .facts').textContent,
      badge: document.querySelector('.details .facts .badge').textContent,
      id: document.querySelector('.details .id-text').textContent,
      tags: [...document.querySelectorAll('.details > .muted')].map((e) => e.textContent).find((t) => t.startsWith('tags: ')) || null,
      tabs: [...document.querySelectorAll('.details .tab')].map((b) => b.dataset.name),
      position: document.querySelector('.pager .position')?.textContent || null,
    }));
  }

  // --- format v2 ----------------------------------------------------------------

  for (const [label, args] of [['compressed', []], ['--no-compress', ['--no-compress']]]) {
    describe(`format v2 (publish, ${label})`, () => {
      let dir, stats, order, failed;
      before(() => {
        dir = publishV2(root, `v2${args.length ? '-plain' : ''}`, { tests: 400, workers: 4, unfinished: 1, sameCause: 20, args });
        stats = JSON.parse(readData(dir, artifactOf(dir, 'subunit-stats').path));
        // The summary's failure order: unfinished tests, then the failures by group.
        order = [...stats.inprogress.map((t) => t.id), ...stats.triage.failure_groups.flatMap((g) => g.tests)];
        failed = stats.failures.find((f) => f.id === order[stats.inprogress.length + 1]);
      });

      it('writes what the site reads (data scripts, the id index)', () => {
        for (const t of ['stackviz-timeline', 'stackviz-tests', 'stackviz-ids', 'subunit-stats', 'stackviz-summary']) {
          const a = artifactOf(dir, t);
          assert.ok(a, `${t} in config.json`);
          // The small ones (the summary's first screen, small stats) are plain json.
          const small = ['subunit-stats', 'stackviz-summary'].includes(t) && readData(dir, a.path).length <= 65536;
          assert.equal(a.content_encoding, args.length || small ? 'json' : 'gzip-base64', t);
        }
        assert.equal(artifactOf(dir, 'subunit'), null, 'no raw.json without --classic');
      });

      it('shows the summary from its first screen alone, stats and tests asked for after it', async () => {
        const s = await site(dir);
        const p = await newPage(browser);
        // Neither the timeline nor the whole stats arrive: the summary must not wait for them.
        await p.page.route(/-(timeline|stats)\.js$/, () => {});
        await p.page.goto(s.url);
        await p.page.waitForFunction(() => window.__stackviz?.marks.summary !== undefined);
        const cards = await p.page.locator('.card').allInnerTexts();
        const n = stats.count + stats.counts.inprogress;
        assert.ok(cards.some((c) => new RegExp(`Tests\\s+${n}\\b`).test(c)), `${n}: ${cards.join('|')}`);
        const causes = await p.page.locator('.failure-groups details.group.st-fail .cause').allInnerTexts();
        assert.deepEqual(causes, stats.triage.failure_groups.map((g) => g.message[0] || g.cause));
        // The first screen came inline in config.json: no other data file before it.
        const data = s.requests.filter((r) => DATA_FILE.test(r));
        assert.ok(!data.some((r) => /-summary\.js$/.test(r)), data.join(' '));
        assert.ok(artifactOf(dir, 'stackviz-summary').inline, 'the first screen inline in config.json');
        // The whole stats and the tests are asked for once the first screen is painted.
        await p.page.waitForFunction(() => window.__stackviz.requested.some((r) => /-stats\.js$/.test(r)));
        await p.context.close();
      });

      it('replaces the first screen with the whole stats and the tests', async () => {
        const s = await site(dir);
        const p = await open(s.url, 'summary-full');
        const big = stats.triage.failure_groups.findIndex((g) => g.tests.length > 10);
        assert.ok(big >= 0, 'a failure group with more tests than the first screen lists');
        const group = p.page.locator('.failure-groups details.group.st-fail').nth(big);
        await group.locator('summary').click();
        // The group's table is built on its toggle event, after the click.
        await group.locator('table.group-tests').waitFor();
        const shown = await group.locator('a.fname').count();
        assert.equal(shown, Math.min(50, stats.triage.failure_groups[big].tests.length));
        await clean(p);
      });

      it('opens a test by deep link without the timeline or raw.json', async () => {
        const s = await site(dir);
        const p = await open(`${s.url}#/${RUN}/test/${encodeURIComponent(failed.id)}`, 'details');
        await p.page.waitForSelector('.details .tab');
        const f = await facts(p.page);
        assert.equal(f.name, failed.name);
        assert.equal(f.id, failed.id);
        assert.equal(f.badge, 'fail');
        assert.match(f.facts, / · worker \d · started \d\d:\d\d:\d\d\.\d{3} UTC/);
        assert.match(f.tags, /^tags: .*worker-\d/);
        assert.equal(f.tabs[0], 'traceback');
        // With a failure list the position shows at once; without one, stats.json
        // (large) is fetched only when the pager is used.
        const at = order.indexOf(failed.id);
        const listed = artifactOf(dir, 'stackviz-failures') !== null;
        assert.equal(f.position, listed ? `failure ${at + 1} of ${order.length}` : null);
        assert.equal(s.requests.some((r) => /-stats\.js$/.test(r)), false, 'stats.json not fetched');
        const data = s.requests.filter((r) => DATA_FILE.test(r));
        assert.ok(!data.some((r) => /-timeline\.js$|-raw\.json/.test(r)), data.join(' '));
        assert.equal(data.filter((r) => /-ids\//.test(r)).length, 1, data.join(' '));
        assert.ok(data.filter((r) => /-tests\//.test(r)).length >= 1, data.join(' '));
        // The next failure (by click, or by key): one more bucket and shard at most, still no timeline.
        if (args.length) await p.page.keyboard.press('n');
        else await p.page.locator('.pager a.next').click();
        await p.page.waitForFunction((n) => document.querySelector('.pager .position')?.textContent.startsWith(`failure ${n} `),
          at + 2);
        await p.page.waitForSelector('.details .tab, .details .none');
        assert.equal(await p.page.locator('.details').getAttribute('data-test'), order[at + 1]);
        assert.ok(!s.requests.some((r) => /-timeline\.js$/.test(r)));
        await p.page.keyboard.press('p');
        await p.page.waitForFunction((id) => document.querySelector('.details')?.dataset.test === id, failed.id);
        await p.page.waitForFunction(([n, of]) => document.querySelector('.pager .position')?.textContent === `failure ${n} of ${of}`,
          [at + 1, order.length]);
        await p.page.screenshot({ path: join(tmpdir(), `stackviz-v2-details${args.length ? '-plain' : ''}.png`) });
        await clean(p);
      });

      // An id the index does not have may be a classic link's test name, which only
      // the run (the timeline, read by site-timeline's buildRun) can look up.
      it('reads data scripts from a server that compresses them (Content-Encoding)', async () => {
        const s = await site(dir, 'compress');
        const p = await open(`${s.url}#/${RUN}/test/${encodeURIComponent(failed.id)}`, 'details');
        await p.page.waitForSelector('.details .tab');
        assert.equal((await facts(p.page)).tabs[0], 'traceback');
        await p.page.goto(`${s.url}#/${RUN}`);
        await p.page.waitForFunction(() => window.__stackviz?.marks.summary !== undefined);
        assert.ok(await p.page.locator('.failure-groups details.group').count() > 1);
        await clean(p);
      });

      it('says so for a test id the run does not have', async () => {
        const s = await site(dir);
        const p = await newPage(browser);
        await p.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent('tempest.api.gone.Test.test_vanished')}`);
        await p.page.waitForSelector('.not-found');
        assert.match(await p.page.locator('.not-found p.error').innerText(), /has no test with id "tempest\.api\.gone\.Test\.test_vanished"/);
        await p.context.close();
      });

      it('opens a test by deep link from file://', async () => {
        const p = await open(`${pathToFileURL(join(dir, 'index.html')).href}#/${RUN}/test/${encodeURIComponent(failed.id)}`, 'details');
        await p.page.waitForSelector('.details .tab');
        assert.equal((await facts(p.page)).tabs[0], 'traceback');
        const asked = await p.page.evaluate(() => window.__stackviz.requested);
        assert.ok(!asked.some((r) => /-timeline\.js$/.test(r)), asked.join(' '));
        await clean(p);
      });

      it('draws the timeline and opens a test from it', async () => {
        const s = await site(dir);
        const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
        assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.tests.length), stats.count + stats.counts.inprogress);
        assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.lanes.length), 4);
        await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/timeline/${encodeURIComponent(failed.id)}`);
        await p.page.waitForSelector('.selected .details .tab');
        assert.ok(!s.requests.some((r) => /-raw\.json/.test(r)));
        await clean(p);
      });
    });
  }

  // Issue 11: a deep link to one test costs at most 400 KB at any run size, the site
  // included. Bytes, not timings: the figure is the same on any machine.
  const DEEP_TESTS = Number(process.env.STACKVIZ_DEEPLINK_TESTS || 100000);
  const BUDGET = 400 * 1000;
  it(`opens one test's details by deep link in at most 400 KB (${DEEP_TESTS} tests)`, async (t) => {
    const dir = publishV2(root, 'deep', { tests: DEEP_TESTS, workers: 8, unfinished: 1, dstat: false });
    const stats = JSON.parse(readData(dir, artifactOf(dir, 'subunit-stats').path));
    const failed = stats.failures[Math.floor(stats.failures.length / 2)];
    const s = await site(dir);
    const p = await open(`${s.url}#/${RUN}/test/${encodeURIComponent(failed.id)}`, 'details');
    await p.page.waitForSelector('.details .tab');
    await p.page.waitForLoadState('networkidle');
    assert.equal((await facts(p.page)).tabs[0], 'traceback');
    const bytes = s.sent.reduce((a, [, n]) => a + n, 0);
    const list = s.sent.map(([path, n]) => `${path.replace(/^\/data\//, '')} ${(n / 1000).toFixed(1)} KB`).join(', ');
    const line = `deep link to one test of ${DEEP_TESTS}: ${(bytes / 1000).toFixed(1)} KB fetched (${list})`;
    console.log(line);
    t.diagnostic(line);
    assert.ok(!s.sent.some(([path]) => /-timeline\.js$|-raw\.json/.test(path)), list);
    assert.ok(bytes <= BUDGET, line);
    await clean(p);
  });

  // --- format v1 ----------------------------------------------------------------

  describe('format v1 (published before v2)', () => {
    let plain, gz;
    before(() => {
      plain = publishV1(root, 'v1', { tests: 200, workers: 4, unfinished: 1 });
      gz = publishV1(root, 'v1-gz', { tests: 150, workers: 3, unfinished: 1, gzip: true });
    });

    it('shows the summary, the timeline and one details shard per test', async () => {
      const s = await site(plain);
      const p = await open(s.url, 'summary-full');
      const cards = await p.page.locator('.card').allInnerTexts();
      assert.ok(cards.some((c) => /Tests\s+201/.test(c)), cards.join('|'));
      assert.ok(cards.some((c) => /Unfinished\s+1/.test(c)), cards.join('|'));
      await p.page.goto(`${s.url}#/${RUN}/timeline`);
      await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
      assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.lanes.length), 4);
      assert.ok(!s.requests.some((r) => r.includes('-details')), 'no details before a test is opened');
      const t = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((x) => x.status === 1 && x.shard > 0));
      await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(t.id)}`);
      await p.page.waitForSelector('.details .tab');
      const f = await facts(p.page);
      assert.deepEqual([f.badge, f.tabs[0], f.name], ['fail', 'traceback', t.name]);
      const det = s.requests.filter((r) => r.includes('-details'));
      assert.deepEqual(det, [`/data/${RUN}-0-details/${t.shard}.json`]);
      await clean(p);
    });

    for (const mode of ['raw', 'encoding']) {
      it(`reads .gz files served ${mode === 'raw' ? 'as raw bytes' : 'with Content-Encoding'}`, async () => {
        const s = await site(gz, mode);
        const p = await open(`${s.url}#/${RUN}/timeline`, 'timeline');
        assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.tests.length), 151);
        await p.page.waitForFunction(() => document.querySelectorAll('.strip canvas').length >= 4);
        const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.shard !== null).id);
        await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/test/${encodeURIComponent(id)}`);
        await p.page.waitForSelector('.details .tab');
        assert.ok(s.requests.some((r) => r.endsWith('-raw.json.gz')), s.requests.join(' '));
        assert.ok(s.requests.some((r) => /-details\/\d+\.json\.gz$/.test(r)), s.requests.join(' '));
        await clean(p);
      });
    }

    for (const [label, which] of [['plain', () => plain], ['gzipped', () => gz]]) {
      it(`opens from file:// (${label}, script twins)`, async () => {
        const base = pathToFileURL(join(which(), 'index.html')).href;
        const p = await open(base, 'summary-full');
        await p.page.goto(`${base}#/${RUN}/timeline`);
        await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
        const id = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((t) => t.status === 1).id);
        await p.page.evaluate((h) => { location.hash = h; }, `#/${RUN}/timeline/${encodeURIComponent(id)}`);
        await p.page.waitForSelector('.selected .details .tab');
        await p.page.waitForFunction(() => document.querySelectorAll('.strip canvas').length >= 4);
        assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
        await clean(p);
      });
    }
  });

  // --- classic ------------------------------------------------------------------

  describe('classic data (the classic stackviz-export)', () => {
    let classic;
    before(() => {
      classic = classicize(publishV1(root, 'classic', { tests: 200, workers: 2, unfinished: 0, monolithic: true }));
    });

    it('shows the summary, the timeline and the details from details.json', async () => {
      const s = await site(classic);
      const p = await open(s.url, 'summary-full');
      const cards = await p.page.locator('.card').allInnerTexts();
      assert.ok(cards.some((c) => /Tests\s+200/.test(c)), cards.join('|'));
      await p.page.goto(`${s.url}#/${RUN}/timeline`);
      await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
      assert.equal(await p.page.evaluate(() => window.__stackviz.view.run.lanes.length), 2);
      const t = await p.page.evaluate(() => window.__stackviz.view.run.tests.find((x) => x.status === 1));
      await p.page.goto(`${s.url}#/${RUN}/test/${encodeURIComponent(t.id)}`);
      await p.page.waitForSelector('.details .tab');
      assert.equal((await facts(p.page)).tabs[0], 'traceback');
      assert.ok(s.requests.some((r) => r.endsWith('-details.json')));
      await clean(p);
    });

    it('says clearly that it needs HTTP from file://', async () => {
      const p = await newPage(browser);
      await p.page.goto(pathToFileURL(join(classic, 'index.html')).href);
      await p.page.waitForSelector('p.error');
      assert.match(await p.page.locator('p.error').innerText(), /config/);
      await p.context.close();
    });
  });
});
