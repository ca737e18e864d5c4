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

// Unit tests of the timeline's pixel runs (laneruns.ts): merged runs cover exactly
// the columns the tests overlap, each with its most severe test, at any zoom; the
// kept buffers and levels never leak from one frame into the next.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LEVELS, LaneRuns, LevelCache, SEAM, SEAM_MIN, laneLevels, levelFaded, levelOf, levelStatus } from '../../.build/lib/laneruns.mjs';
import { DrawnFor, fillColumn, mix, rgbPixel } from '../../.build/lib/pixels.mjs';

const [SUCCESS, FAIL, SKIP, XFAIL, UXSUCCESS, INPROGRESS] = [0, 1, 2, 3, 4, 5];

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A lane as model.ts builds it (tests by start, reach, outliers apart), from [start, end, status, outlier]. */
function makeLane(specs) {
  const tests = specs.map(([start, end, status, outlier = false], idx) => ({ idx, start, end, status, outlier }));
  const order = [...tests].sort((a, b) => a.start - b.start || a.end - b.end);
  const n = order.length;
  const lane = {
    tests: Int32Array.from(order, (t) => t.idx), starts: Float64Array.from(order, (t) => t.start),
    ends: Float64Array.from(order, (t) => t.end), reach: new Float64Array(n),
    outliers: Int32Array.from(order.filter((t) => t.outlier), (t) => t.idx),
  };
  for (let i = 0; i < n; i++) {
    const before = i ? lane.reach[i - 1] : -Infinity;
    lane.reach[i] = order[i].outlier ? before : Math.max(order[i].end, before);
  }
  return { lane, tests };
}

function build(runs, { lane, tests }, match, t0, k, width) {
  const n = runs.build(lane, laneLevels(lane, tests, match), tests, match, t0, k, width);
  return Array.from({ length: n }, (_x, i) => [...runs.runs.subarray(3 * i, 3 * i + 3)]);
}

/** What each column shows, worked out test by test: the highest level of the tests
 *  overlapping it, a seam where a test at least SEAM_MIN columns wide starts. */
function reference({ tests }, match, t0, k, width) {
  const cols = new Array(width).fill(0), seams = new Array(width).fill(0);
  for (const t of tests) {
    const x0 = (t.start - t0) * k, x1 = (Math.max(t.end, t.start) - t0) * k;
    const level = levelOf(t.status, match !== null && !match[t.idx]);
    for (let x = 0; x < width; x++) {
      // A column shows a test its span overlaps, and a test shows in one column at least.
      if ((x0 < x + 1 && x1 > x) || x === Math.floor(x0)) cols[x] = Math.max(cols[x], level);
    }
    if (x1 - x0 >= SEAM_MIN && x0 >= 0 && x0 < width) seams[Math.floor(x0)] = Math.max(seams[Math.floor(x0)], level);
  }
  return cols.map((level, x) => (level && seams[x] === level ? level | SEAM : level));
}

/** Runs without their seams, neighbours of one level merged. */
function plain(runs) {
  const out = [];
  for (const [x0, x1, level] of runs) {
    const last = out[out.length - 1];
    if (last && last[1] === x0 && last[2] === (level & ~SEAM)) last[1] = x1;
    else out.push([x0, x1, level & ~SEAM]);
  }
  return out;
}

function assertRuns(runs, expected, what) {
  const got = new Array(expected.length).fill(0);
  let prev = null;
  for (const [x0, x1, level] of runs) {
    assert.ok(x0 >= 0 && x0 < x1 && x1 <= expected.length, `${what}: run ${x0}..${x1}`);
    assert.ok((level & ~SEAM) >= 1 && (level & ~SEAM) <= LEVELS && level < 2 * SEAM, `${what}: level ${level}`);
    if (prev) {
      assert.ok(x0 >= prev[1], `${what}: runs overlap or are out of order`);
      assert.ok(x0 > prev[1] || level !== prev[2], `${what}: neighbouring runs of one level not merged at ${x0}`);
    }
    for (let x = x0; x < x1; x++) got[x] = level;
    prev = [x0, x1, level];
  }
  assert.deepEqual(got, expected, what);
}

function randomLane(r, n, { overlap = 0.2, outliers = 0 } = {}) {
  const specs = [];
  let at = 1000;
  for (let i = 0; i < n; i++) {
    const dur = r() < 0.1 ? r() * 500 : r() * 20;
    const start = r() < overlap ? at - r() * 30 : at + r() * 10;
    specs.push([start, start + dur, Math.floor(r() * 6)]);
    at = start + dur;
  }
  for (let i = 0; i < outliers; i++) {
    const start = r() < 0.5 ? -1e9 * r() : 1e9 * (1 + r());
    specs.push([start, start + r() * 1e6, Math.floor(r() * 6), true]);
  }
  return makeLane(specs);
}

describe('levels', () => {
  it('rank matching above faded, then unfinished, fail, uxsuccess, xfail, success, skip', () => {
    const order = [INPROGRESS, FAIL, UXSUCCESS, XFAIL, SUCCESS, SKIP];
    for (let i = 1; i < order.length; i++) {
      assert.ok(levelOf(order[i - 1], false) > levelOf(order[i], false));
      assert.ok(levelOf(order[i - 1], true) > levelOf(order[i], true));
    }
    assert.ok(levelOf(SKIP, false) > levelOf(INPROGRESS, true));
    for (let s = 0; s < 6; s++) {
      for (const faded of [false, true]) {
        assert.equal(levelStatus(levelOf(s, faded)), s);
        assert.equal(levelFaded(levelOf(s, faded)), faded);
      }
    }
  });
});

describe('LaneRuns', () => {
  it('keeps a failure among thousands of successes red at every zoom', () => {
    // 2000 back-to-back successes of 10 ms, test 1234 failed.
    const specs = Array.from({ length: 2000 }, (_x, i) => [i * 10, i * 10 + 10, i === 1234 ? FAIL : SUCCESS]);
    const lane = makeLane(specs);
    const runs = new LaneRuns();
    for (const msPerPx of [0.5, 3, 10, 37, 100, 999, 20000]) {
      const width = 800, t0 = Math.max(0, 12345 - 400 * msPerPx);
      const runsNow = build(runs, lane, null, t0, 1 / msPerPx, width);
      const x = Math.floor((12345 - t0) / msPerPx);
      const at = runsNow.find(([x0, x1]) => x0 <= x && x < x1);
      assert.ok(at, `${msPerPx} ms/px: the failure's column is drawn`);
      assert.equal(at[2] & ~SEAM, levelOf(FAIL, false), `${msPerPx} ms/px: the failure's column is red`);
      // Zoomed out, the whole lane is one green run cut by one red one.
      if (msPerPx >= 10) assert.ok(runsNow.length <= 3, `${msPerPx} ms/px: ${runsNow.length} runs`);
      assertRuns(runsNow, reference(lane, null, t0, 1 / msPerPx, width), `${msPerPx} ms/px`);
    }
  });

  it('covers exactly the columns the tests overlap, each with its most severe test', () => {
    const r = rng(7);
    const runs = new LaneRuns();
    for (let trial = 0; trial < 60; trial++) {
      const lane = randomLane(r, 1 + Math.floor(r() * 400), { overlap: r() * 0.5, outliers: trial % 3 });
      const match = trial % 4 === 0 ? Uint8Array.from(lane.tests, () => (r() < 0.5 ? 1 : 0)) : null;
      const span = lane.lane.starts.length ? lane.lane.ends[lane.lane.ends.length - 1] - 1000 : 100;
      const width = 50 + Math.floor(r() * 700);
      // Whole lane, zoomed in somewhere, beyond either end.
      for (const [t0, t1] of [[900, 1100 + span], [1000 + r() * span, 0], [-5e9, 5e9], [2e9, 3e9]]) {
        const end = t1 || t0 + 1 + r() * span / 10;
        const k = width / (end - t0);
        assertRuns(build(runs, lane, match, t0, k, width), reference(lane, match, t0, k, width),
          `trial ${trial}, view ${t0}..${end} over ${width} px`);
      }
    }
  });

  it('shows an unfinished test over a failure, and a match over faded tests', () => {
    const lane = makeLane([[0, 100, SUCCESS], [10, 20, FAIL], [15, 1000, INPROGRESS], [40, 60, SKIP]]);
    const runs = new LaneRuns();
    const all = plain(build(runs, lane, null, 0, 1, 100));
    assert.deepEqual(all, [[0, 10, levelOf(SUCCESS, false)], [10, 15, levelOf(FAIL, false)],
      [15, 100, levelOf(INPROGRESS, false)]]);
    // The search keeps the skip only: it shows over the faded unfinished test.
    const match = Uint8Array.from([0, 0, 0, 1]);
    const some = plain(build(runs, lane, match, 0, 1, 100));
    assert.deepEqual(some, [[0, 10, levelOf(SUCCESS, true)], [10, 15, levelOf(FAIL, true)],
      [15, 40, levelOf(INPROGRESS, true)], [40, 60, levelOf(SKIP, false)], [60, 100, levelOf(INPROGRESS, true)]]);
  });

  it('shows a test of no duration, or ending before it starts, in one column', () => {
    const lane = makeLane([[10, 10, FAIL], [20, 20, SKIP], [30, 25, UXSUCCESS], [40, 50, SUCCESS], [50, 50, FAIL]]);
    const runs = new LaneRuns();
    assert.deepEqual(plain(build(runs, lane, null, 0, 1, 100)), [[10, 11, levelOf(FAIL, false)], [20, 21, levelOf(SKIP, false)],
      [30, 31, levelOf(UXSUCCESS, false)], [40, 50, levelOf(SUCCESS, false)], [50, 51, levelOf(FAIL, false)]]);
  });

  it('marks where wide tests start, so that neighbours of one status show apart, never over a failure', () => {
    const S = levelOf(SUCCESS, false), F = levelOf(FAIL, false);
    // Back to back: 10.5 columns each, then sub-pixel ones (merged, no seam), then a
    // wide success starting in the column of a sub-pixel failure.
    const lane = makeLane([[0.5, 11, SUCCESS], [11, 21.5, SUCCESS], [30, 30.2, SUCCESS], [30.2, 30.5, SUCCESS],
      [40.1, 40.2, FAIL], [40.2, 50, SUCCESS]]);
    const runs = new LaneRuns();
    assert.deepEqual(build(runs, lane, null, 0, 1, 60), [[0, 1, S | SEAM], [1, 11, S], [11, 12, S | SEAM], [12, 22, S],
      [30, 31, S], [40, 41, F], [41, 50, S]]);
    // Zoomed out, nothing is wide: no seam.
    assert.ok(build(runs, lane, null, 0, 0.25, 60).every(([, , level]) => !(level & SEAM)));
  });

  it('finds a test still running at the left edge, after a long one, and outliers in view', () => {
    const lane = makeLane([[0, 10000, FAIL], [1, 2, SUCCESS], [3, 4, SUCCESS], [5e9, 5e9 + 10, SKIP, true]]);
    const runs = new LaneRuns();
    assert.deepEqual(build(runs, lane, null, 5000, 0.1, 100), [[0, 100, levelOf(FAIL, false)]]);
    assert.deepEqual(plain(build(runs, lane, null, 5e9 - 50, 1, 100)), [[50, 60, levelOf(SKIP, false)]]);
    assert.deepEqual(build(runs, lane, null, 20000, 1, 100), []);
  });

  it('starts every build afresh, whatever the zoom, pan or width before', () => {
    const r = rng(11);
    const lane = randomLane(r, 500, { overlap: 0.3, outliers: 2 });
    const kept = new LaneRuns();
    for (let i = 0; i < 40; i++) {
      // Widths shrink and grow (the buffers are kept while the width stays), views jump.
      const width = [800, 800, 300, 1200, 1][i % 5];
      const t0 = 900 + r() * 3000, k = width / (1 + r() * 5000);
      assert.deepEqual(build(kept, lane, null, t0, k, width), build(new LaneRuns(), lane, null, t0, k, width), `build ${i}`);
    }
    assert.deepEqual(build(kept, lane, null, 0, 1, 0), []);
  });
});

describe('LevelCache', () => {
  it('computes a lane once per search, whatever the view, and again when the search changes', () => {
    const a = makeLane([[0, 10, SUCCESS], [10, 20, FAIL], [5e9, 5e9 + 1, SKIP, true]]);
    const b = makeLane([[0, 10, SKIP]]);
    const tests = a.tests;
    const cache = new LevelCache([a.lane, b.lane], tests);
    const first = cache.get(0, null);
    assert.deepEqual([...first], [levelOf(SUCCESS, false), levelOf(FAIL, false), 0]);
    assert.equal(cache.get(0, null), first);
    assert.equal(cache.computed, 1);
    const match = Uint8Array.from([0, 1, 1]);
    assert.deepEqual([...cache.get(0, match)], [levelOf(SUCCESS, true), levelOf(FAIL, false), 0]);
    assert.equal(cache.get(0, match), cache.get(0, match));
    assert.equal(cache.computed, 2);
    // A new search, even with the same tests kept, is a new array: computed again.
    cache.get(0, Uint8Array.from(match));
    assert.equal(cache.computed, 3);
    assert.deepEqual([...cache.get(0, null)], [...first]);
    assert.equal(cache.computed, 4);
  });
});

describe('laneLevels from the run\'s columns', () => {
  it('gives the levels the tests give, searched or not', () => {
    const rand = rng(11);
    const specs = Array.from({ length: 300 }, () => {
      const start = Math.floor(rand() * 1e4);
      return [start, start + Math.floor(rand() * 50), Math.floor(rand() * 6), rand() < 0.05];
    });
    const { lane, tests } = makeLane(specs);
    const codes = { status: Uint8Array.from(tests, (t) => t.status), outlier: Uint8Array.from(tests, (t) => (t.outlier ? 1 : 0)) };
    const match = Uint8Array.from(tests, () => (rand() < 0.5 ? 1 : 0));
    for (const m of [null, match]) {
      assert.deepEqual([...laneLevels(lane, tests, m, codes)], [...laneLevels(lane, tests, m)]);
    }
    const cache = new LevelCache([lane], tests, codes);
    assert.deepEqual([...cache.get(0, match)], [...laneLevels(lane, tests, match)]);
  });
});

describe('pixels', () => {
  it('packs colours in ImageData byte order and blends them', () => {
    const px = new Uint32Array([rgbPixel('#43a047')]);
    assert.deepEqual([...new Uint8Array(px.buffer)], [0x43, 0xa0, 0x47, 255]);
    const half = new Uint32Array([mix(rgbPixel('#000000'), rgbPixel('#ffffff'), 0.5)]);
    assert.deepEqual([...new Uint8Array(half.buffer)], [128, 128, 128, 255]);
    assert.equal(mix(rgbPixel('#123456'), rgbPixel('#abcdef'), 0), rgbPixel('#123456'));
    assert.equal(mix(rgbPixel('#123456'), rgbPixel('#abcdef'), 1), rgbPixel('#abcdef'));
  });

  it('fills or blends a column within the image only', () => {
    const w = 3, img = new Uint32Array(w * 4).fill(rgbPixel('#ffffff'));
    fillColumn(img, w, 1, -5, 2, rgbPixel('#000000'));
    fillColumn(img, w, 2, 3, 99, rgbPixel('#000000'), 0.5);
    fillColumn(img, w, 3, 0, 4, rgbPixel('#000000'));
    const at = (x, y) => img[y * w + x];
    assert.equal(at(1, 0), rgbPixel('#000000'));
    assert.equal(at(1, 1), rgbPixel('#000000'));
    assert.equal(at(1, 2), rgbPixel('#ffffff'));
    assert.equal(at(2, 3), mix(rgbPixel('#ffffff'), rgbPixel('#000000'), 0.5));
    assert.equal(at(2, 2), rgbPixel('#ffffff'));
    assert.equal(at(0, 0), rgbPixel('#ffffff'));
  });

  it('draws a kept buffer again after a zoom, a pan, a resize or a new search, not otherwise', () => {
    const drawn = new DrawnFor();
    const match = new Uint8Array(3);
    const view = [1000, 2000, 1292, 64, null];
    assert.equal(drawn.changed(...view), true, 'first frame');
    assert.equal(drawn.changed(...view), false, 'a hover: same view');
    assert.equal(drawn.changed(1000, 1500, 1292, 64, null), true, 'zoom');
    assert.equal(drawn.changed(1100, 1600, 1292, 64, null), true, 'pan');
    assert.equal(drawn.changed(1100, 1600, 900, 64, null), true, 'resize');
    assert.equal(drawn.changed(1100, 1600, 900, 64, match), true, 'search');
    assert.equal(drawn.changed(1100, 1600, 900, 64, match), false, 'same search');
    assert.equal(drawn.changed(1100, 1600, 900, 64, Uint8Array.from(match)), true, 'another search, same tests');
    assert.equal(drawn.changed(NaN, 1), true);
    assert.equal(drawn.changed(NaN, 1), false, 'NaN is the same NaN');
    assert.equal(drawn.changed(NaN), true, 'shorter key');
  });
});
