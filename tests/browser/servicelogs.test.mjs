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

// The "Service logs" tab, in Debian's chromium, on a generated devstack job
// published by the publisher: a failed test shows the nova-api and cinder lines
// that served its requests, each linking to its log file; the summary's failures
// carry "N service errors"; log text is text, never markup.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { haveChromium, launch, newPage } from './browser.mjs';
import { REPO, SITE, artifactOf, readData } from './fixtures.mjs';
import { serve } from './server.mjs';

const PYTHON = process.env.STACKVIZ_PYTHON || 'python3';
const RUN = 'testrepository.subunit.gz';
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';
const HOSTILE = '<img src=x onerror=alert(1)><b>bold</b>';

function py(args) {
  execFileSync(PYTHON, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A failed test whose lines come from both nova-api and cinder-api, and its lines. */
function pickTest(site) {
  const art = artifactOf(site, 'service-logs');
  const index = JSON.parse(readData(site, art.path));
  const stats = JSON.parse(readData(site, artifactOf(site, 'subunit-stats').path));
  for (const f of stats.failures) {
    const entry = index.tests[f.id];
    if (!entry) continue;
    const shard = JSON.parse(readData(site, `${art.shards}${entry[0]}${art.suffix}`))[f.id];
    const services = new Set(shard.records.map((r) => index.files[r[0]].service));
    if (services.has('n-api') && services.has('c-api')) return { id: f.id, index, records: shard.records, errors: entry[2] };
  }
  throw new Error('no failed test with nova-api and cinder lines');
}

describe('service logs tab in chromium', { skip }, () => {
  let root, browser, server, chosen;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-svclogs-'));
    py(['-m', 'stackviz_publish.generate_services', root, '--tests', '60', '--log-mb', '0.6',
      '--fail-rate', '0.3', '--seed', '6']);
    const publish = () => py(['-m', 'stackviz_publish.cli.main', 'publish', root, '--site', SITE, '--gzip']);
    publish();
    const site = join(root, 'stackviz');
    const first = pickTest(site);
    // A line of markup in nova-api's log naming one of the test's requests, appended as
    // a second gzip member (gzip readers take the members one after the other).
    const napi = first.index.files.findIndex((f) => f.service === 'n-api');
    const rid = first.records.filter((r) => r[0] === napi)
      .map((r) => /req-[0-9a-f-]{36}/.exec(r[4])?.[0]).find(Boolean);
    appendFileSync(join(root, 'logs', 'screen-n-api.txt.gz'),
      gzipSync(`2018-09-28 03:59:59.000 1 WARNING nova.api.hostile [${rid} x x] ${HOSTILE}\n`));
    publish();
    chosen = pickTest(site);
    browser = await launch();
    server = await serve(root);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function open(hash, mark, base = `${server.url}stackviz/index.html`) {
    const p = await newPage(browser);
    await p.page.goto(`${base}${hash}`);
    await p.page.waitForFunction((m) => window.__stackviz && (window.__stackviz.marks[m] !== undefined ||
      window.__stackviz.errors.length > 0), mark);
    assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
    return p;
  }

  it('shows a failed test\'s nova-api and cinder lines, by file, linking to the files', async () => {
    const p = await open(`#/${encodeURIComponent(RUN)}/test/${encodeURIComponent(chosen.id)}`, 'details');
    const tab = p.page.locator('button.tab[data-name="service-logs"]');
    await tab.waitFor();
    assert.match(await tab.innerText(), new RegExp(`Service logs\\s+${chosen.records.length} records`));
    await tab.click();
    await p.page.locator('.service-logs .svc-group').first().waitFor();
    const groups = await p.page.$$eval('.service-logs .svc-group', (els) => els.map((g) => ({
      service: g.querySelector('.svc-records').dataset.service,
      href: g.querySelector('h4 a').getAttribute('href'),
      records: Array.from(g.querySelectorAll('.svc-rec')).map((r) => ({
        cls: r.className, level: r.dataset.level, text: r.querySelector('pre').textContent,
        href: r.querySelector('a.svc-loc').getAttribute('href'), loc: r.querySelector('a.svc-loc').textContent,
      })),
    })));
    const services = groups.map((g) => g.service);
    assert.ok(services.includes('n-api') && services.includes('c-api'), services.join(','));
    assert.equal(groups.reduce((n, g) => n + g.records.length, 0), chosen.records.length);
    for (const g of groups) {
      const file = chosen.index.files.find((f) => f.service === g.service);
      assert.equal(g.href, file.href);
      assert.match(g.href, /^\.\.\/logs\/screen-[\w-]+\.txt\.gz$/);
      // The link leads to the log file, served beside the site.
      const res = await fetch(new URL(g.href, `${server.url}stackviz/index.html`));
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const times = g.records.map((r) => r.text.slice(0, 23));
      assert.deepEqual(times, [...times].sort(), `${g.service} in time order`);
      for (const r of g.records) {
        assert.equal(r.href, file.href);
        assert.match(r.loc, /^line \d+$/);
        if (r.level === 'ERROR') assert.match(r.cls, /lvl-error/);
      }
    }
    const all = groups.flatMap((g) => g.records);
    assert.ok(all.some((r) => /Traceback \(most recent call last\)/.test(r.text)) ||
      all.some((r) => r.level === 'ERROR'), 'the failure shows in the services');
    // Markup in a log is text: no element was made of it, no dialog opened.
    const hostile = all.find((r) => r.text.includes(HOSTILE));
    assert.ok(hostile, 'the appended line is shown');
    assert.equal(await p.page.locator('.service-logs img').count(), 0);
    assert.equal(await p.page.locator('.service-logs pre b').count(), 0);
    if (process.env.STACKVIZ_SHOTS) {
      await p.page.screenshot({ path: join(process.env.STACKVIZ_SHOTS, 'service-logs-tab.png'), fullPage: false });
    }
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('puts "N service errors" on the failed tests of the summary', async () => {
    const p = await open(`#/${encodeURIComponent(RUN)}`, 'summary-full');
    // Groups build their rows when opened: open them all, before and after the index.
    await p.page.$$eval('details.group', (els) => els.forEach((d) => { d.open = true; }));
    await p.page.locator('[data-test] .svc-errors').first().waitFor();
    const rows = await p.page.$$eval('.summary [data-test]', (els) => els.map((row) => ({
      id: row.dataset.test, badge: row.querySelector('.svc-errors')?.textContent || null,
    })));
    const mine = rows.find((b) => b.id === chosen.id);
    assert.ok(mine, 'the chosen test is listed');
    assert.equal(mine.badge, `${chosen.errors} service error${chosen.errors === 1 ? '' : 's'}`);
    for (const b of rows) {
      const entry = chosen.index.tests[b.id];
      assert.equal(b.badge, entry && entry[2] ? `${entry[2]} service error${entry[2] === 1 ? '' : 's'}` : null);
    }
    if (process.env.STACKVIZ_SHOTS) {
      await p.page.screenshot({ path: join(process.env.STACKVIZ_SHOTS, 'summary-badges.png') });
    }
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('draws a strip of service errors on the timeline\'s axis', async () => {
    const p = await open(`#/${encodeURIComponent(RUN)}/timeline`, 'timeline');
    await p.page.locator('.service-errors canvas').waitFor();
    const rows = Object.values(chosen.index.timeline.counts).filter((c) => c.some((n) => n > 0)).length;
    assert.ok(rows > 0);
    const size = await p.page.$eval('.service-errors canvas', (c) => [c.clientWidth, c.clientHeight]);
    assert.ok(size[0] > 300, String(size));
    assert.equal(size[1], rows * 14);
    // Something red was drawn in the plot area.
    const red = await p.page.$eval('.service-errors canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 120 && d[i + 3] > 0) n++;
      return n;
    });
    assert.ok(red > 0, 'error bars drawn');
    if (process.env.STACKVIZ_SHOTS) {
      await p.page.locator('.service-errors').scrollIntoViewIfNeeded();
      await p.page.screenshot({ path: join(process.env.STACKVIZ_SHOTS, 'timeline-errors.png') });
    }
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('works from file:// too (script twins of the index and the shard)', async () => {
    const base = pathToFileURL(join(root, 'stackviz', 'index.html')).href;
    const p = await open(`#/${encodeURIComponent(RUN)}/test/${encodeURIComponent(chosen.id)}`, 'details', base);
    await p.page.locator('button.tab[data-name="service-logs"]').click();
    await p.page.locator('.service-logs .svc-group').first().waitFor();
    assert.equal(await p.page.locator('.service-logs .svc-rec').count(), chosen.records.length);
    assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });
});
