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

// A run with tests whose clocks were far off (a node clock reset to 1970, a v1
// test dated year 1000) among normal ones: the timeline opens on the normal tests,
// marks the outliers, and every redraw costs what the pixels cost, whatever the span.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveChromium, launch, newPage } from './browser.mjs';
import { publishOutlierRun } from './fixtures.mjs';
import { serve } from './server.mjs';

const RUN = 'tempest.subunit';
const OUTLIERS = [['pkg.T.clock_reset', '1970-01-01T00:00:05Z'], ['pkg.T.year_1000', '1000-01-01T00:00:00Z']];
const REDRAW_BUDGET_MS = 200;
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';

describe('timeline with outlier timestamps', { skip }, () => {
  let root, browser, server, url;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-outliers-'));
    const dir = publishOutlierRun(root, 'outliers', { tests: 2000, workers: 4, outliers: OUTLIERS });
    server = await serve(dir);
    url = server.url;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function openTimeline(hash = `#/${RUN}/timeline`) {
    const p = await newPage(browser);
    const began = Date.now();
    await p.page.goto(url + hash);
    await p.page.waitForFunction(() => window.__stackviz && (window.__stackviz.marks.timeline !== undefined ||
      window.__stackviz.errors.length > 0), null, { timeout: 20000 });
    assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
    return { ...p, openMs: Date.now() - began };
  }

  it('opens quickly, centred on the normal tests, with the outliers marked', async () => {
    const p = await openTimeline();
    assert.ok(p.openMs < 5000, `opened in ${p.openMs} ms`);
    const v = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      const normal = run.tests.filter((t) => !t.name.startsWith('pkg.T.'));
      return {
        t0: tl.t0, t1: tl.t1, drawMs: tl.lastDrawMs,
        first: Math.min(...normal.map((t) => t.start)), last: Math.max(...normal.map((t) => t.end)),
        outliers: run.outliers.map((t) => t.name).sort(),
      };
    });
    assert.deepEqual(v.outliers, ['pkg.T.clock_reset', 'pkg.T.year_1000']);
    const span = v.last - v.first;
    assert.ok(v.t0 <= v.first && v.t1 >= v.last, 'every normal test in view');
    assert.ok(v.t1 - v.t0 < span * 1.2, `view of ${v.t1 - v.t0} ms for ${span} ms of tests`);
    assert.ok(v.drawMs < REDRAW_BUDGET_MS, `first draw ${v.drawMs} ms`);
    // The note says how many, and when.
    const note = p.page.locator('.outliers');
    assert.ok(await note.isVisible());
    const text = await note.innerText();
    assert.match(text, /2 tests with timestamps far outside the run/);
    assert.match(text, /1970-01-01/);
    assert.match(text, /1000-01-01/);
    await p.page.screenshot({ path: '/tmp/stackviz-outliers-timeline.png' });
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('keeps every redraw within budget while zooming and panning over the whole span', async () => {
    const p = await openTimeline();
    const times = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      const out = [];
      const draw = (t0, t1) => {
        tl.setView(t0, t1, false);
        const began = performance.now();
        tl.draw();
        out.push({ ms: performance.now() - began, ticks: tl.ticksDrawn, span: tl.t1 - tl.t0 });
      };
      // The whole span (a thousand years), then zooming in on the run and back out.
      draw(run.start, run.end);
      const mid = (run.core.start + run.core.end) / 2;
      for (let span = run.end - run.start; span > 1000; span /= 8) draw(mid - span / 2, mid + span / 2);
      for (let k = 0; k < 20; k++) draw(run.core.start + k * 60000, run.core.start + k * 60000 + 600000);
      for (let span = 1000; span < run.end - run.start; span *= 8) draw(run.start + span, run.start + 2 * span);
      return out;
    });
    const plotWidth = await p.page.evaluate(() => window.__stackviz.view.timeline.plotWidth);
    const worst = Math.max(...times.map((t) => t.ms));
    assert.ok(worst < REDRAW_BUDGET_MS, `slowest redraw ${worst.toFixed(1)} ms`);
    for (const t of times) assert.ok(t.ticks <= plotWidth / 40 + 2, `${t.ticks} ticks over ${t.span} ms`);
    // Real input: wheel zooms and drags at the cursor, timed by the page.
    const box = await p.page.locator('canvas.lanes').boundingBox();
    await p.page.mouse.move(box.x + box.width / 2, box.y + 30);
    for (let k = 0; k < 10; k++) await p.page.mouse.wheel(0, k < 5 ? 600 : -600);
    await p.page.mouse.down();
    await p.page.mouse.move(box.x + box.width / 4, box.y + 30, { steps: 10 });
    await p.page.mouse.up();
    await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const last = await p.page.evaluate(() => window.__stackviz.view.timeline.lastDrawMs);
    assert.ok(last < REDRAW_BUDGET_MS, `redraw after wheel and drag ${last} ms`);
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('zooms to an outlier from the note, and back to the run', async () => {
    const p = await openTimeline();
    await p.page.locator('.outliers button', { hasText: 'clock_reset' }).click();
    await p.page.waitForFunction(() => window.__stackviz.view?.timeline.selected?.name === 'pkg.T.clock_reset');
    const v = await p.page.evaluate(() => {
      const { timeline: tl } = window.__stackviz.view;
      return { inView: tl.selected.start >= tl.t0 && tl.selected.end <= tl.t1, span: tl.t1 - tl.t0 };
    });
    assert.ok(v.inView && v.span < 24 * 3600e3, JSON.stringify(v));
    await p.page.locator('.outliers button', { hasText: 'back to the run' }).click();
    await p.page.waitForFunction(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      return tl.t0 <= run.core.start && tl.t1 >= run.core.end && tl.t1 - tl.t0 < (run.core.end - run.core.start) * 1.2;
    });
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('dates the summary by the run, not by its outliers', async () => {
    const p = await newPage(browser);
    await p.page.goto(url);
    await p.page.waitForFunction(() => window.__stackviz?.marks['summary-full'] !== undefined);
    const cards = await p.page.locator('.card').allInnerTexts();
    assert.ok(cards.some((c) => /Date\s+2018-09-28/.test(c)), cards.join('|'));
    // The fixture's normal tests span about 23 minutes.
    assert.ok(cards.some((c) => /Wall time\s+2\d min \d+ s/.test(c)), cards.join('|'));
    assert.match(await p.page.locator('ul.warnings').innerText(),
      /2 tests with timestamps far outside the run \(e\.g\. 1000-01-01 .*\) left out of the date and wall time/);
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });

  it('a deep link with a window opens that window, outliers or not', async () => {
    const p = await openTimeline(`#/${RUN}/timeline?from=10&to=70`);
    const v = await p.page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      return [(tl.t0 - run.core.start) / 1000, (tl.t1 - run.core.start) / 1000];
    });
    assert.ok(Math.abs(v[0] - 10) < 0.01 && Math.abs(v[1] - 70) < 0.01, JSON.stringify(v));
    await p.context.close();
  });
});
