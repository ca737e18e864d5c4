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

// The v2 timeline (P-timeline.js) in chromium: decoded by the worker over HTTP and
// from file://, and on the page when no worker can be started; and, on the
// exporter's own output, the same Run as raw.json gives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { haveChromium, launch, newPage, tearDown } from './browser.mjs';
import { REPO, publishRun } from './fixtures.mjs';
import { serve } from './server.mjs';

const RUN = 'tempest.subunit';
const lib = (m) => import(pathToFileURL(join(REPO, 'site', '.build', 'lib', `${m}.mjs`)).href);
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';

// How the page may lose its worker: none at all, a constructor that refuses (as a
// Content-Security-Policy would), or a worker that fails once started.
const NO_WORKER = {
  missing: () => {
    delete window.Worker;
  },
  refused: () => {
    window.Worker = class {
      constructor() {
        throw new DOMException('refused by the test', 'SecurityError');
      }
    };
  },
  failing: () => {
    window.Worker = class {
      postMessage() {
        setTimeout(() => this.onerror(new Event('error')), 0);
      }
      terminate() {}
    };
  },
};

describe('v2 timeline in chromium', { skip }, () => {
  let root, dir, browser, server, timeline, raw;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-timeline-'));
    dir = publishRun(root, 'v2', { tests: 600, workers: 4, unfinished: 2 });
    const cfg = JSON.parse(readFileSync(join(dir, 'data', 'config.json'), 'utf8'));
    const arts = cfg.datasets[0].artifacts.filter((a) => a.artifact_name === RUN);
    timeline = arts.find((a) => a.artifact_type === 'stackviz-timeline');
    raw = arts.find((a) => a.artifact_type === 'subunit');
    assert.ok(timeline && raw, 'stackviz-export writes the v2 timeline beside raw.json');
    server = await serve(dir);
    browser = await launch();
  });

  after(() => tearDown({ browser, server, root }));

  it("gives, on the exporter's output, the same run as raw.json", async () => {
    const { readConfig, buildRun, runOfColumns } = await lib('model');
    const { decodeTimeline } = await lib('timelinedecode');
    const { runShape } = await import('../../site/tests/unit/runshape.mjs');
    const data = join(dir, 'data');
    const ref = readConfig(JSON.parse(readFileSync(join(data, 'config.json'), 'utf8'))).runs[0];
    const stats = JSON.parse(readFileSync(join(data, `${RUN}-0-stats.json`), 'utf8'));
    const text = readFileSync(join(data, timeline.path), 'utf8');
    const cols = await decodeTimeline({ path: timeline.path, url: 'u' }, async () => ({ ok: true, status: 200, text: async () => text }));
    const fromTimeline = runShape(runOfColumns(ref, cols, stats, timeline.path));
    const fromRaw = runShape(buildRun(ref, JSON.parse(readFileSync(join(data, raw.path), 'utf8')), stats));
    assert.equal(fromTimeline.tests.length, 600);
    assert.ok(fromTimeline.tests.some((t) => t.id.includes('[id-') && !t.name.includes('[')), 'names are cleaned');
    assert.deepEqual(fromTimeline, fromRaw);
  });

  /** Opens the timeline; returns the page, what it loaded, and where it decoded. */
  async function show(url, breakWorker = null, workerFrom = 0) {
    const p = await newPage(browser);
    // A 600-test run is decoded on the page unless the worker is asked for from 0 tests.
    if (workerFrom !== null) await p.page.addInitScript((n) => { window.__stackvizWorkerFrom = n; }, workerFrom);
    if (breakWorker) await p.page.addInitScript(NO_WORKER[breakWorker]);
    await p.page.goto(`${url}#/${RUN}/timeline`);
    await p.page.waitForFunction(() => window.__stackviz && (window.__stackviz.marks.timeline !== undefined ||
      window.__stackviz.errors.length > 0), null, { timeout: 30000 });
    const got = await p.page.evaluate(() => ({
      errors: window.__stackviz.errors,
      requested: window.__stackviz.requested,
      tests: window.__stackviz.view.run.tests.length,
      lanes: window.__stackviz.view.run.lanes.map((l) => l.label),
      unfinished: window.__stackviz.view.run.tests.filter((t) => t.unfinished).length,
      worker: performance.getEntriesByName('stackviz:worker-columns').length > 0,
      csp: window.__csp,
    }));
    assert.deepEqual(got.errors, []);
    assert.deepEqual(got.csp, [], 'no Content-Security-Policy violation (the worker starts from a Blob URL)');
    assert.equal(got.tests, 600);
    assert.equal(got.unfinished, 2);
    assert.deepEqual(got.lanes, ['worker 0', 'worker 1', 'worker 2', 'worker 3']);
    assert.ok(got.requested.includes(timeline.path), got.requested.join(' '));
    assert.ok(!got.requested.includes(raw.path), 'raw.json is not read when the timeline is there');
    // The drawn timeline answers a hover with a test's clean name.
    const box = await p.page.locator('canvas.lanes').boundingBox();
    await p.page.mouse.move(box.x + box.width / 2, box.y + 30);
    await p.page.waitForSelector('.tip.on');
    assert.doesNotMatch(await p.page.locator('.tip').innerText(), /\[id-/);
    assert.deepEqual(p.problems, [], 'no console error, page error or dialog');
    await p.context.close();
    return got;
  }

  const fileUrl = () => pathToFileURL(join(dir, 'index.html')).href;

  it('decodes in a worker over HTTP', async () => {
    const from = server.requests.length;
    assert.ok((await show(server.url)).worker, 'decoded by the worker');
    assert.ok(!server.requests.some((r) => r.endsWith('-raw.json')));
    // Asked for once (by the worker), whatever the page's inline script asks for early.
    const asked = server.requests.slice(from).filter((r) => r.startsWith('/data/'));
    assert.equal(asked.filter((r) => r === `/data/${timeline.path}`).length, 1, asked.join(' '));
  });

  it("starts the worker from its own file over HTTP, before app.js has run", async () => {
    const from = server.requests.length;
    assert.ok((await show(server.url)).worker, 'decoded by the worker');
    const asked = server.requests.slice(from);
    assert.equal(asked.filter((r) => r === '/timeline-worker.js').length, 1, asked.join(' '));
    assert.ok(asked.indexOf('/timeline-worker.js') < asked.indexOf(`/data/${timeline.path}`), asked.join(' '));
  });

  /** Opens the timeline over HTTP: the page's errors, its tests, and whether a worker decoded them. */
  async function openTimeline(page) {
    await page.goto(`${server.url}#/${RUN}/timeline`);
    await page.waitForFunction(() => window.__stackviz && (window.__stackviz.marks.timeline !== undefined ||
      window.__stackviz.errors.length > 0), null, { timeout: 30000 });
    return page.evaluate(() => ({
      errors: window.__stackviz.errors,
      tests: window.__stackviz.view?.run.tests.length,
      worker: performance.getEntriesByName('stackviz:worker-columns').length > 0,
    }));
  }

  it('starts no second worker when app.js runs before config.json is in', async () => {
    const p = await newPage(browser);
    await p.page.addInitScript(() => { window.__stackvizWorkerFrom = 0; });
    // config.json held back until app.js has run (and started its own worker).
    let appFirst = false;
    await p.context.route('**/data/config.json', async (route) => {
      appFirst = await p.page.waitForFunction(() => window.__stackvizWorker === null, null, { timeout: 20000 })
        .then(() => true, () => false);
      await route.continue();
    });
    const from = server.requests.length;
    const got = await openTimeline(p.page);
    assert.ok(appFirst, 'app.js ran before config.json was in');
    assert.deepEqual(got, { errors: [], tests: 600, worker: true });
    const asked = server.requests.slice(from);
    assert.ok(!asked.includes('/timeline-worker.js'), asked.join(' '));
    assert.equal(asked.filter((r) => r === `/data/${timeline.path}`).length, 1, asked.join(' '));
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  const workerFile = join(REPO, 'stackviz_publish', 'site', 'timeline-worker.js');
  for (const [how, answer] of [
    ['missing', { status: 404, body: 'not found' }],
    ['not a script', { status: 200, contentType: 'text/javascript', body: 'this is not javascript' }],
    ['served as text/plain', { status: 200, contentType: 'text/plain', path: workerFile }],
  ]) {
    it(`decodes in a worker from app.js when the worker's own file is ${how}`, async () => {
      const p = await newPage(browser);
      await p.page.addInitScript(() => { window.__stackvizWorkerFrom = 0; });
      await p.context.route('**/timeline-worker.js', (route) => route.fulfill(answer));
      const from = server.requests.length;
      const got = await openTimeline(p.page);
      assert.deepEqual(got, { errors: [], tests: 600, worker: true });
      const asked = server.requests.slice(from).filter((r) => r.startsWith('/data/'));
      assert.ok(asked.includes(`/data/${timeline.path}`), asked.join(' '));
      await p.context.close();
    });
  }

  it('says in one line that the timeline is damaged when the early worker decodes it', async () => {
    const p = await newPage(browser);
    await p.page.addInitScript(() => { window.__stackvizWorkerFrom = 0; });
    await p.context.route(`**/data/${timeline.path}`, (route) => route.fulfill({
      status: 200, contentType: 'text/javascript', body: 'stackvizData("x", "json", "[{\\"name\\": \\"cut here");\n',
    }));
    await p.page.goto(`${server.url}#/${RUN}/timeline`);
    await p.page.waitForSelector('p.error');
    assert.match(await p.page.locator('p.error').innerText(), new RegExp(`^${timeline.path.replace(/\./g, '\\.')} is not valid JSON`));
    assert.ok(await p.page.evaluate(() => performance.getEntriesByName('stackviz:config').length === 1));
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('decodes in a worker from file:// (the payload comes by <script>)', async () => {
    assert.ok((await show(fileUrl())).worker, 'decoded by the worker');
  });

  it('decodes a small run on the page, over HTTP and from file:// (no worker round trip)', async () => {
    assert.equal((await show(server.url, null, null)).worker, false);
    assert.equal((await show(fileUrl(), null, null)).worker, false);
  });

  for (const how of Object.keys(NO_WORKER)) {
    it(`decodes on the page when the worker is ${how}, over HTTP and from file://`, async () => {
      assert.equal((await show(server.url, how)).worker, false);
      assert.equal((await show(fileUrl(), how)).worker, false);
    });
  }
});
