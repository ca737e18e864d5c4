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

// What the timeline keeps between frames (the lanes' pixel rows, the label
// column, each strip's plot) is drawn again when the window, the size or the
// search changes: the pixels under each test keep its status's colour through
// zooms, a resize, a search and a hover.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveChromium, launch, newPage, tearDown } from './browser.mjs';
import { publishRun } from './fixtures.mjs';
import { serve } from './server.mjs';

const RUN = 'tempest.subunit';
const skip = haveChromium() ? false : 'Debian chromium (/usr/bin/chromium) is not installed';
const COLORS = { success: [0x43, 0xa0, 0x47], fail: [0xe5, 0x39, 0x35], fadedSuccess: [0xd7, 0xe9, 0xd8] };

describe('timeline redraw', { skip }, () => {
  let root, browser, server;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'stackviz-redraw-'));
    const dir = publishRun(root, 'run', { tests: 600, workers: 4, unfinished: 1, logBytes: 0 });
    server = await serve(dir);
    browser = await launch();
  });

  after(() => tearDown({ browser, server, root }));

  /** Colour under the middle of each of some tests at least 8 px wide, and whether each lane's label is drawn. */
  function probe(page) {
    return page.evaluate(() => {
      const { timeline: tl, run } = window.__stackviz.view;
      const c = document.querySelector('canvas.lanes');
      const ctx = c.getContext('2d');
      const dpr = window.devicePixelRatio;
      const px = (x, y) => [...ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data.slice(0, 3)];
      const laneY = (lane) => 18 + lane * tl.laneHeight + tl.laneHeight / 2;
      const tests = run.tests.filter((t) => t.status <= 1 && t.start >= tl.t0 && t.end <= tl.t1 && tl.xOf(t.end) - tl.xOf(t.start) >= 8);
      const picks = [...tests.filter((t) => t.status === 1).slice(0, 3), ...tests.filter((t) => t.status === 0).slice(0, 5)];
      const labels = run.lanes.map((_l, i) => {
        // Dark text pixels in the label column, in the lane's row.
        const row = ctx.getImageData(0, Math.round(laneY(i) * dpr), Math.round(70 * dpr), 1).data;
        let dark = 0;
        for (let j = 0; j < row.length; j += 4) if (row[j + 3] > 0 && row[j] < 150) dark++;
        return dark;
      });
      // The first and last pixel rows of each lane's label background.
      const edges = run.lanes.map((_l, i) => [px(2, 18 + i * tl.laneHeight), px(2, 18 + (i + 1) * tl.laneHeight - 1)]);
      return { edges, tests: picks.map((t) => ({ id: t.id, status: t.status, rgb: px((tl.xOf(t.start) + tl.xOf(t.end)) / 2, laneY(t.lane)) })),
        labels, laneHeight: tl.laneHeight, width: c.width };
    });
  }

  function assertColours(got, what, faded = false) {
    assert.ok(got.tests.some((t) => t.status === 1) && got.tests.some((t) => t.status === 0), `${what}: tests to look at`);
    for (const t of got.tests) {
      const want = t.status === 1 ? COLORS.fail : faded ? COLORS.fadedSuccess : COLORS.success;
      assert.deepEqual(t.rgb, want, `${what}: ${t.id}`);
    }
    assert.ok(got.labels.every((n) => n > 3), `${what}: every lane labelled (${got.labels})`);
    got.edges.forEach((rows, i) => {
      const bg = i % 2 ? [0xfa, 0xfa, 0xfa] : [0xf2, 0xf2, 0xf2];
      assert.deepEqual(rows, [bg, bg], `${what}: lane ${i}'s label background fills its rows`);
    });
  }

  async function settle(page) {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  it('keeps each test its colour through zooms, a resize, a search and a hover', async () => {
    const p = await newPage(browser, { width: 1400, height: 900 });
    await p.page.goto(`${server.url}#/${RUN}/timeline`);
    await p.page.waitForFunction(() => window.__stackviz?.view?.graphs, null, { timeout: 20000 });
    // A window of this part of the run, around a failed test.
    const zoom = async (part) => {
      await p.page.evaluate((f) => {
        const { timeline: tl, run } = window.__stackviz.view;
        const failed = run.tests.filter((t) => t.status === 1);
        const t = failed[failed.length >> 1];
        const span = (run.core.end - run.core.start) * f, mid = (t.start + t.end) / 2;
        tl.setView(mid - span / 2, mid + span / 2);
      }, part);
      await settle(p.page);
    };
    await zoom(0.1);
    const wide = await probe(p.page);
    assertColours(wide, 'zoomed');
    await zoom(0.03);
    assertColours(await probe(p.page), 'zoomed further');
    // A smaller window: other lane heights and widths, the same colours and labels.
    await p.page.setViewportSize({ width: 900, height: 560 });
    await p.page.waitForFunction((w) => document.querySelector('canvas.lanes').width !== w, wide.width);
    await settle(p.page);
    const small = await probe(p.page);
    assert.notEqual(small.laneHeight, wide.laneHeight, 'the lanes were laid out again');
    assertColours(small, 'resized');
    // Successes hidden by the status toggle: they fade, failures stay bright.
    await p.page.locator('input.toggle-success').uncheck();
    await settle(p.page);
    assertColours(await probe(p.page), 'successes faded', true);
    await p.page.locator('input.toggle-success').check();
    await settle(p.page);
    // A hover outlines one test and leaves the others as they were.
    const before = await probe(p.page);
    const box = await p.page.locator('canvas.lanes').boundingBox();
    await p.page.mouse.move(box.x + box.width / 2, box.y + 18 + before.laneHeight / 2);
    await p.page.waitForSelector('.tip.on');
    await settle(p.page);
    const hovered = await p.page.evaluate(() => window.__stackviz.view.timeline.hovered?.id);
    assert.ok(hovered, 'a test is hovered');
    const afterHover = await probe(p.page);
    for (const [i, t] of afterHover.tests.entries()) {
      if (t.id !== hovered) assert.deepEqual(t.rgb, before.tests[i].rgb, t.id);
    }
    assert.deepEqual(p.problems, []);
    await p.context.close();
  });
});
