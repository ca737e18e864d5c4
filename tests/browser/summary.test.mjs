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

// The summary from the stats alone (v2: the workers table and the slowest tests
// come from the stats, the timeline is not fetched), and the split code: boot.js
// paints the summary's first screen, then adds app.js, over HTTP and from file://.
// Older data (v1, classic) falls back to the run's tests: formats.test.mjs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeClean, haveChromium, launch, newPage, openPage } from './browser.mjs';
import { classicize, publishRun, publishV1, publishV2 } from './fixtures.mjs';
import { serverPool } from './server.mjs';

const RUN = 'tempest.subunit';
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';

/** The summary's workers table and slowest tests, as text. */
/** An export as older v2 output was: config.json (and its twin) without the first
 *  screen inline, so that the site reads the summary file. */
function withoutInline(dir) {
  const path = join(dir, 'data', 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8'));
  for (const ds of config.datasets) for (const a of ds.artifacts) delete a.inline;
  const text = JSON.stringify(config, null, 1);
  writeFileSync(path, text);
  writeFileSync(join(dir, 'data', 'config.js'), `stackvizData("config.json", "json", ${JSON.stringify(text)});\n`);
}

function tables(page) {
  return page.evaluate(() => ({
    workers: [...document.querySelectorAll('table.workers tr')].slice(1)
      .map((tr) => [...tr.children].map((td) => td.textContent)),
    slowest: [...document.querySelectorAll('table.slowest tr')]
      .map((tr) => [...tr.children].map((td) => td.textContent)),
  }));
}

describe('summary from the stats, code split', { skip }, () => {
  let root, browser, v2, classicTool, v1, classic;
  const pool = serverPool();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-summary-'));
    v2 = publishV2(root, 'v2', { tests: 600, workers: 5, unfinished: 2 });
    classicTool = publishRun(root, 'tool', { tests: 300, workers: 3 });
    v1 = publishV1(root, 'v1', { tests: 200, workers: 4 });
    classic = classicize(publishRun(root, 'classic', { tests: 200, workers: 4, unfinished: 0 }));
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await pool.closeAll();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const [name, dir] of [['publish (v2)', () => v2], ['stackviz-export', () => classicTool]]) {
    it(`shows workers and slowest tests from the stats, without the timeline: ${name}`, async () => {
      const s = await pool.site(dir());
      const from = s.requests.length;
      const p = await openPage(browser, s.url, 'summary-full');
      await p.page.waitForLoadState('networkidle');
      const asked = s.requests.slice(from).filter((r) => r.startsWith('/data/'));
      // The first screen comes inline in config.json (the first run's).
      assert.ok(!asked.some((r) => r.endsWith('-summary.js')), asked.join(' '));
      assert.ok(!asked.some((r) => /timeline|raw\.json|-tests\/|-ids\//.test(r)), asked.join(' '));
      const requested = await p.page.evaluate(() => window.__stackviz.requested);
      assert.ok(requested.includes('config.json') && !requested.some((r) => /timeline/.test(r)), requested.join(' '));
      const fromStats = await tables(p.page);
      // The same tables computed by the site from the run's tests.
      await p.page.locator('header nav a', { hasText: 'Timeline' }).click();
      await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
      const run = await p.page.evaluate(() => {
        const r = window.__stackviz.view.run;
        const wall = r.end - r.start;
        return {
          lanes: r.lanes.map((l) => [l.label, String(l.tests.length), `${Math.round((l.busy / wall) * 100)}%`]),
          slowest: r.tests.filter((t) => t.status !== 5).sort((a, b) => b.duration - a.duration).slice(0, 10).map((t) => t.id),
        };
      });
      assert.deepEqual(fromStats.workers.map((row) => row.slice(0, 3)), run.lanes);
      assert.equal(fromStats.slowest.length, 10);
      await closeClean(p);
      // The slowest tests link to the tests the run names slowest.
      const q = await openPage(browser, s.url, 'summary-full');
      const ids = await q.page.evaluate(() => [...document.querySelectorAll('table.slowest tr td:nth-child(2) a')]
        .map((a) => decodeURIComponent(a.getAttribute('href').split('/test/')[1])));
      assert.deepEqual(ids, run.slowest);
      await closeClean(q);
    });
  }

  for (const [name, dir] of [['v1', () => v1], ['classic', () => classic]]) {
    it(`falls back to the run's tests for older data: ${name}`, async () => {
      const s = await pool.site(dir());
      const p = await openPage(browser, s.url, 'summary-full');
      const requested = await p.page.evaluate(() => window.__stackviz.requested);
      assert.ok(requested.some((r) => /-raw\.json/.test(r)), requested.join(' '));
      const t = await tables(p.page);
      assert.equal(t.workers.length, 4);
      assert.ok(t.slowest.length >= 5);
      await closeClean(p);
    });
  }

  it('paints the first screen from the inline script, then app.js takes it over', async () => {
    const s = await pool.site(v2);
    const p = await newPage(browser);
    await p.page.addInitScript(() => {
      window.__order = [];
      new MutationObserver(() => {
        if (document.querySelector('.failure-groups .group') && !window.__order.includes('painted')) {
          window.__order.push('painted', [...document.scripts].map((x) => x.src.split('/').pop() || 'inline').join(' '));
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await p.page.goto(s.url);
    await p.page.waitForFunction(() => window.__stackviz?.marks['summary-full'] !== undefined);
    const order = await p.page.evaluate(() => window.__order);
    assert.deepEqual(order, ['painted', 'inline inline'], 'painted before app.js was added');
    // The inline scripts (the first requests, then the first screen) sit in the head,
    // app.js is added to the head after they ran.
    assert.deepEqual(await p.page.evaluate(() => [...document.head.querySelectorAll('script')].map((x) => x.src.split('/').pop() || 'inline')),
      ['inline', 'inline', 'app.js']);
    // Each data file once: the app took over what the inline script asked for.
    const data = s.requests.filter((r) => r.startsWith('/data/'));
    assert.deepEqual(data.slice(0, 1), ['/data/config.json'], data.join(' '));
    assert.ok(!data.includes(`/data/${RUN}-0-summary.js`), data.join(' '));
    assert.equal(new Set(data).size, data.length, data.join(' '));
    // The app took over: the header and the filter work.
    assert.equal(await p.page.locator('header nav a.on').innerText(), 'Summary');
    await p.page.fill('input.summary-filter', 'zz-no-such-test');
    await p.page.waitForFunction(() => location.hash.includes('zz-no-such-test'));
    assert.match(await p.page.locator('.failure-groups').innerText(), /Nothing matches the filter/);
    await closeClean(p);
  });

  // The first screen is plain json (small); older v2 output has it in gzip-base64, and
  // not inline in config.json.
  for (const encoding of ['json', 'gzip-base64']) {
    it(`paints the first screen from a ${encoding} summary.js over HTTP and from file://`, async () => {
      const dir = join(root, `v2-${encoding}-summary`);
      const file = join(dir, 'data', `${RUN}-0-summary.js`);
      cpSync(v2, dir, { recursive: true });
      withoutInline(dir);
      if (encoding !== 'json') {
        const text = readFileSync(file, 'utf8');
        const payload = JSON.parse(text.slice(text.indexOf('"json", ') + 8, text.lastIndexOf(')')));
        writeFileSync(file, `stackvizData(${JSON.stringify(`${RUN}-0-summary.js`)}, "gzip-base64", ` +
          `"${gzipSync(Buffer.from(payload)).toString('base64')}");\n`);
      }
      assert.ok(readFileSync(file, 'utf8').startsWith(`stackvizData("${RUN}-0-summary.js", "${encoding}", `));
      const s = await pool.site(dir);
      for (const url of [s.url, pathToFileURL(join(dir, 'index.html')).href]) {
        const p = await openPage(browser, url, 'summary');
        const first = await p.page.locator('.failure-groups .group.st-fail summary').first().innerText();
        assert.match(first, /^\d+\s/, url);
        if (url === s.url) assert.ok(s.requests.includes(`/data/${RUN}-0-summary.js`), s.requests.join(' '));
        await p.page.waitForFunction(() => window.__stackviz.marks['summary-full'] !== undefined);
        await closeClean(p);
      }
    });
  }

  for (const how of ['http', 'file']) {
    it(`opens the timeline after the summary, and by deep link (${how})`, async () => {
      const base = how === 'http' ? (await pool.site(v2)).url : pathToFileURL(join(v2, 'index.html')).href;
      const p = await openPage(browser, base, 'summary-full');
      await p.page.locator('header nav a', { hasText: 'Timeline' }).click();
      await p.page.waitForFunction(() => window.__stackviz.marks.timeline !== undefined);
      assert.ok(await p.page.locator('canvas').count() > 0);
      await closeClean(p);
      const q = await openPage(browser, `${base}#/${RUN}/timeline`, 'timeline');
      assert.ok(await q.page.locator('canvas').count() > 0);
      await closeClean(q);
    });
  }
});
