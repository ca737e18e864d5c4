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

// Unit tests of the timeline's axis ticks and of outlier detection.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TICKS, axisTicks, tickStep } from '../../.build/lib/axis.mjs';
import { setTimeMode } from '../../.build/lib/timefmt.mjs';
import { buildRun, markOutliers, OUTLIER_GAP_MS } from '../../.build/lib/model.mjs';

const RUN0 = Date.parse('2018-09-28T02:46:35Z');
const HOUR = 3600e3;
const YEAR1000 = Date.parse('1000-01-01T00:00:00Z');

describe('axisTicks', () => {
  it('draws a bounded number of ticks whatever the span', () => {
    for (const width of [300, 1200, 4000]) {
      for (const span of [20, 1000, 60e3, HOUR, 30 * 24 * HOUR, RUN0 - YEAR1000, 1e15]) {
        const ticks = axisTicks(RUN0 - span / 2, RUN0 + span / 2, RUN0, RUN0 + HOUR, width);
        assert.ok(ticks.length >= 1, `${span} ms over ${width} px: no tick`);
        assert.ok(ticks.length <= width / 90 + 2, `${ticks.length} ticks for ${span} ms over ${width} px`);
        assert.ok(ticks.length <= MAX_TICKS);
        for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i].t > ticks[i - 1].t);
      }
    }
  });

  it('labels offsets near the run (relative notation), dates and clock times far from it', () => {
    setTimeMode('rel', RUN0);
    const near = axisTicks(RUN0, RUN0 + 10 * 60e3, RUN0, RUN0 + HOUR, 1000);
    setTimeMode('utc');
    assert.equal(near[0].label, '0:00');
    assert.ok(near.slice(1).every((t) => t.label.startsWith('+')), near.map((t) => t.label).join(' '));
    const t1970 = Date.parse('1970-01-01T00:00:05Z');
    const far = axisTicks(t1970 - 10e3, t1970 + 20e3, RUN0, RUN0 + HOUR, 1000);
    assert.match(far[0].label, /^1969-12-31 23:59:5\d$/);
    assert.match(far[far.length - 1].label, /^00:00:\d\d$/);
    const years = axisTicks(YEAR1000, RUN0, RUN0, RUN0 + HOUR, 1000);
    assert.equal(years[0].label, '1000');
    assert.equal(years[0].t, YEAR1000);
    assert.ok(years.every((t) => /^\d{4}$/.test(t.label)), years.map((t) => t.label).join(' '));
    const days = axisTicks(RUN0, RUN0 + 20 * 24 * HOUR, RUN0, RUN0 + HOUR, 1000);
    assert.ok(days.every((t) => /^\d{4}-\d\d-\d\d$/.test(t.label)), days.map((t) => t.label).join(' '));
  });

  it('labels round wall-clock times near the run in the UTC and local notations', () => {
    setTimeMode('utc', RUN0);
    const wall = axisTicks(RUN0, RUN0 + 10 * 60e3, RUN0, RUN0 + HOUR, 1000);
    assert.equal(wall[0].label, '02:47');
    assert.equal(new Date(wall[0].t).getUTCSeconds(), 0, 'on a round minute, not on the run start');
    assert.ok(wall.every((t) => /^\d\d:\d\d$/.test(t.label)), wall.map((t) => t.label).join(' '));
    const sub = axisTicks(RUN0, RUN0 + 400, RUN0, RUN0 + 400, 1000);
    assert.ok(sub.length >= 4, `a sub-second window has ticks: ${sub.length}`);
    assert.ok(sub.every((t) => /^02:46:35\.\d+$/.test(t.label)), sub.map((t) => t.label).join(' '));
    setTimeMode('local', RUN0);
    const local = axisTicks(RUN0, RUN0 + 10 * 60e3, RUN0, RUN0 + HOUR, 1000);
    const d = new Date(local[0].t);
    assert.equal(local[0].label, `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`);
    setTimeMode('utc');
  });

  it('chooses steps at least 90 px apart', () => {
    assert.equal(tickStep(60e3, 900), 10);
    assert.ok(tickStep(RUN0 - YEAR1000, 1000) >= 100 * 365 * 86400);
  });

  it('answers nothing for an empty or broken window', () => {
    assert.deepEqual(axisTicks(5, 5, 0, 0, 800), []);
    assert.deepEqual(axisTicks(NaN, 5, 0, 0, 800), []);
  });
});

function entry(name, start, end, worker = 0) {
  return {
    name, id: name, status: 'success', worker, tags: [],
    timestamps: [new Date(start).toISOString(), new Date(end).toISOString()],
  };
}

const REF = { name: 'r', raw: { path: 'r-raw.json' }, stats: null, details: null, shards: null, metadata: {} };

describe('outliers', () => {
  it('leaves a clock reset and a year-1000 test out of the run extent', () => {
    const raw = [];
    for (let i = 0; i < 50; i++) raw.push(entry(`t${i}`, RUN0 + i * 60e3, RUN0 + i * 60e3 + 50e3, i % 2));
    raw.push(entry('reset', Date.parse('1970-01-01T00:00:05Z'), Date.parse('1970-01-01T00:00:06Z')));
    raw.push(entry('ancient', YEAR1000, YEAR1000 + 1000, 1));
    const run = buildRun(REF, raw, null);
    assert.deepEqual(run.outliers.map((t) => t.name), ['ancient', 'reset']);
    assert.equal(run.core.start, RUN0);
    assert.equal(run.core.end, RUN0 + 49 * 60e3 + 50e3);
    assert.equal(run.start, YEAR1000);
    // Idle time counts the run only, not the centuries before it.
    for (const lane of run.lanes) assert.ok(lane.idle < HOUR, String(lane.idle));
    assert.equal(run.lanes[0].outliers.length, 1);
  });

  it('flags a test whose end lies far after the run', () => {
    const raw = [entry('a', RUN0, RUN0 + 1000), entry('b', RUN0 + 2000, RUN0 + 3000),
      entry('stuck', RUN0 + 4000, RUN0 + 400 * 24 * HOUR)];
    const run = buildRun(REF, raw, null);
    assert.deepEqual(run.outliers.map((t) => t.name), ['stuck']);
    assert.equal(run.core.end, RUN0 + 3000);
  });

  it('flags nothing in an ordinary run, long gaps included', () => {
    const raw = [entry('a', RUN0, RUN0 + 1000), entry('b', RUN0 + OUTLIER_GAP_MS - 1, RUN0 + OUTLIER_GAP_MS)];
    const run = buildRun(REF, raw, null);
    assert.deepEqual(run.outliers, []);
    assert.deepEqual(run.core, { start: run.start, end: run.end });
    assert.equal(markOutliers(new Float64Array(0), new Float64Array(0), new Uint8Array(0)), null);
  });

  it('keeps the larger group, the later one on a tie', () => {
    const starts = Float64Array.from([0, 1, 2].map((i) => RUN0 + i)
      .concat([0, 1, 2].map((i) => RUN0 + 5 * OUTLIER_GAP_MS + i)));
    const outlier = new Uint8Array(6);
    const core = markOutliers(starts, starts.map((s) => s + 1), outlier);
    assert.equal(core.start, RUN0 + 5 * OUTLIER_GAP_MS);
    assert.deepEqual([...outlier], [1, 1, 1, 0, 0, 0]);
  });
});
