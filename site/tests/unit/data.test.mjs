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

// Unit tests of data loading and parsing, on the modules the build writes to .build/lib.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseIso, formatDuration } from '../../.build/lib/iso.mjs';
import { decodeBody, decodeTwin, gunzip, isGzip, twinPath, HttpSource } from '../../.build/lib/loader.mjs';
import { buildRun, readConfig, testAt, lastAtOrBefore, firstAtOrAfter, slowest } from '../../.build/lib/model.mjs';

describe('parseIso', () => {
  it('keeps years below 100 (Date.UTC would map them to 19xx)', () => {
    assert.equal(new Date(parseIso('0001-01-01T00:00:00.000000Z')).getUTCFullYear(), 1);
    assert.equal(new Date(parseIso('0099-12-31T23:59:59.000000Z')).getUTCFullYear(), 99);
  });

  it('matches Date.parse on offsets and fractions', () => {
    for (const s of ['2018-09-28T02:46:35.626800+00:00', '2018-09-28T02:46:35+02:00',
      '2018-12-31T23:59:59.5-05:30', '2020-02-29T00:00:00Z', '2018-09-28 02:46:35.1+00:00']) {
      // Date.parse drops sub-millisecond digits; parseIso keeps them.
      const d = parseIso(s) - Date.parse(s.replace(' ', 'T'));
      assert.ok(d >= 0 && d < 1, `${s}: ${d}`);
    }
  });
  it('keeps microseconds as fractions of a millisecond', () => {
    const d = parseIso('2018-09-28T02:46:35.626843+00:00') - parseIso('2018-09-28T02:46:35.626800+00:00');
    assert.ok(Math.abs(d - 0.043) < 1e-3, String(d));
  });
  it('rejects what is not a timestamp', () => {
    for (const s of [null, 3, '', 'yesterday', '2018-09-28T02:4x:35+00:00', '2018-09-28T02:46:35 junk']) {
      assert.ok(Number.isNaN(parseIso(s)), String(s));
    }
  });
  it('formats durations for people', () => {
    assert.equal(formatDuration(0.25), '250 ms');
    assert.equal(formatDuration(75), '1 min 15 s');
    assert.equal(formatDuration(3 * 3600 + 120), '3 h 2 min');
  });
});

describe('decoding', () => {
  const text = JSON.stringify({ a: 'é </script>' });
  it('inflates gzip bytes and passes decoded bytes through', async () => {
    const gz = new Uint8Array(gzipSync(text));
    assert.ok(isGzip(gz));
    assert.equal(await decodeBody(gz), text);
    assert.equal(await decodeBody(new TextEncoder().encode(text)), text);
    assert.equal(new TextDecoder().decode(await gunzip(gz)), text);
  });
  it('decodes every twin encoding', async () => {
    assert.equal(await decodeTwin('json', text), text);
    assert.equal(await decodeTwin('text', 'a,b\n'), 'a,b\n');
    assert.equal(await decodeTwin('gzip-base64', gzipSync(text).toString('base64')), text);
    await assert.rejects(decodeTwin('zip', 'x'), /unknown twin encoding/);
  });
  it('names twins as the format says', () => {
    assert.equal(twinPath('x-raw.json.gz'), 'x-raw.json.js');
    assert.equal(twinPath('dstat.csv'), 'dstat.csv.js');
    // As the Python exporter names them (stackviz_publish.format.twin_path).
    assert.equal(twinPath('config.json'), 'config.js');
    assert.equal(twinPath('x-0-details/12.json.gz'), 'x-0-details/12.js');
    assert.equal(twinPath('12.json'), '12.json.js');
  });
  it('fetches over HTTP whatever the server did with Content-Encoding', async () => {
    const files = { 'a.json.gz': gzipSync(text), 'b.json.gz': Buffer.from(text), 'c.json': Buffer.from(text) };
    const src = new HttpSource('data/', async (url) => {
      const body = files[url.slice(5)];
      return { ok: !!body, status: body ? 200 : 404, arrayBuffer: async () => body, text: async () => body.toString() };
    });
    assert.equal(await src.text('a.json.gz'), text);
    assert.equal(await src.text('b.json.gz'), text);
    assert.equal(await src.text('c.json'), text);
    await assert.rejects(src.text('missing.json'), /^Error: missing.json: HTTP 404$/);
    // devstack-gate gzipped x.json after the export: x.json.gz is tried.
    assert.equal(await src.text('a.json'), text);
    assert.deepEqual(src.requested, ['a.json.gz', 'b.json.gz', 'c.json', 'missing.json', 'missing.json.gz',
      'a.json', 'a.json.gz']);
  });
});

const art = (path, type, extra = {}) => ({ path, artifact_name: 'tempest.subunit', artifact_type: type,
  content_type: 'application/json', primary: type === 'subunit', ...extra });

describe('readConfig', () => {
  it('finds runs, their artifacts and dstat nodes', () => {
    const idx = readConfig({ datasets: [{ metadata: { job: 'tempest-full', nested: { x: 1 } }, artifacts: [
      art('t-0-raw.json', 'subunit'), art('t-0-stats.json', 'subunit-stats'),
      art('t-0-details/', 'subunit-details-shards', { shard_count: 2, suffix: '.json' }),
      { path: 'dstat.csv', artifact_name: 'dstat-csv.log', artifact_type: 'dstat' },
      { path: 'dstat-sub.csv', artifact_name: 'dstat-sub', artifact_type: 'dstat', node: 'sub' },
      { path: 'o-0-stats.json', artifact_name: 'orphan', artifact_type: 'subunit-stats' },
    ] }] });
    assert.equal(idx.runs.length, 1, 'a group without a primary artifact is no run');
    const r = idx.runs[0];
    assert.equal(r.name, 'tempest.subunit');
    assert.equal(r.stats.path, 't-0-stats.json');
    assert.equal(r.shards.shard_count, 2);
    assert.equal(r.details, null);
    assert.deepEqual(r.metadata, { job: 'tempest-full' });
    assert.deepEqual(idx.dstat.map((d) => d.node), ['primary', 'sub']);
  });
  it('refuses a config without datasets', () => {
    assert.throws(() => readConfig({}), /no datasets/);
  });
});

function entry(name, start, end, status = 'success', extra = {}) {
  return { name, status, tags: extra.tags || [], timestamps: [start, end],
    duration: (Date.parse(end) - Date.parse(start)) / 1000, details: {}, ...extra };
}
const T = (s) => `2018-09-28T02:46:${String(s).padStart(2, '0')}.000000+00:00`;

describe('buildRun', () => {
  const ref = readConfig({ datasets: [{ artifacts: [art('r.json', 'subunit')] }] }).runs[0];

  it('reads classic entries: worker from tags, ids are names', () => {
    const run = buildRun(ref, [
      entry('a', T(0), T(2), 'success', { tags: ['worker-1'] }),
      entry('b', T(3), T(5), 'fail', { tags: ['worker-0'] }),
      entry('c', T(6), T(7), 'skip', { tags: ['worker-1'] }),
    ], null);
    assert.ok(run.classic);
    assert.deepEqual(run.lanes.map((l) => l.worker), [0, 1]);
    assert.equal(run.byId.get('b').lane, 0);
    assert.equal(run.counts.fail, 1);
    assert.equal(run.failures[0].name, 'b');
    assert.equal(run.failures[0].message, null);
    assert.equal(run.skips.length, 1);
    assert.equal(run.end - run.start, 7000);
  });

  it('reads v1 extensions: ids, workers, shards, unfinished listed first', () => {
    const run = buildRun(ref, [
      entry('a', T(0), T(2), 'fail', { id: 'a[id-1]', worker: 0, shard: 0 }),
      entry('a', T(3), T(4), 'success', { id: 'a[id-1] #2', worker: 0, shard: 0 }),
      entry('u', T(1), T(9), 'inprogress', { id: 'u', worker: 1, shard: null, unfinished: true }),
      { bogus: true },
    ], { failures: [{ name: 'a', id: 'a[id-1]', details: ['AssertionError: boom'] }],
      skips: [], warnings: ['stream damaged at byte 12'] });
    assert.ok(!run.classic);
    assert.equal(run.byId.get('a[id-1] #2').start, parseIso(T(3)));
    assert.equal(run.failures[0].id, 'u', 'unfinished first');
    assert.deepEqual(run.failures[1].message, ['AssertionError: boom']);
    assert.equal(run.byId.get('u').unfinished, true);
    assert.equal(run.byId.get('u').shard, null);
    assert.equal(run.warnings.length, 2, 'stats warning plus the unreadable entry');
  });

  it('measures idle gaps per worker', () => {
    const run = buildRun(ref, [
      entry('a', T(0), T(2), 'success', { worker: 0 }),
      entry('b', T(7), T(10), 'success', { worker: 0 }),
      entry('c', T(0), T(10), 'success', { worker: 1 }),
    ], null);
    const [w0, w1] = run.lanes;
    assert.equal(w0.idle, 5000);
    assert.equal(w0.longestGap, 5000);
    assert.equal(w0.longestGapAt, parseIso(T(2)));
    assert.equal(w1.idle, 0);
    assert.equal(w0.busy, 5000);
  });

  it('ends idle gaps at the worker\'s last test: the tail is idle, not a gap', () => {
    const run = buildRun(ref, [
      entry('a', T(0), T(1), 'success', { worker: 0 }),
      entry('b', T(3), T(4), 'success', { worker: 0 }),
      entry('c', T(0), T(30), 'success', { worker: 1 }),
    ], null);
    const w0 = run.lanes[0];
    assert.equal(w0.idle, 2000 + 26000, 'the 26 s tail still counts as idle time');
    assert.equal(w0.longestGap, 2000, 'but the longest gap is the one between a and b');
    assert.equal(w0.longestGapAt, parseIso(T(1)));
  });

  it('finds the test under a time, and neighbours by binary search', () => {
    const run = buildRun(ref, [
      entry('a', T(0), T(2), 'success', { worker: 0 }),
      entry('b', T(7), T(10), 'success', { worker: 0 }),
    ], null);
    const lane = run.lanes[0];
    assert.equal(testAt(run, lane, parseIso(T(1)), 0).name, 'a');
    assert.equal(testAt(run, lane, parseIso(T(8)), 0).name, 'b');
    assert.equal(testAt(run, lane, parseIso(T(5)), 0), null);
    assert.equal(testAt(run, lane, parseIso(T(5)), 2500).name, 'b');
    assert.equal(lastAtOrBefore(lane.starts, parseIso(T(5))), 0);
    assert.equal(firstAtOrAfter(lane.reach, parseIso(T(5))), 1);
    assert.deepEqual(slowest(run, 1).map((t) => t.name), ['b']);
  });

  it('refuses raw data that is not a list', () => {
    assert.throws(() => buildRun(ref, { a: 1 }, null), /not a list of tests/);
  });
});

describe('format: reading stats.json fields that may be damaged', async () => {
  const { readStats, statsTests, statsCounts, field } = await import('../../.build/lib/format.mjs');
  it('keeps objects only', () => {
    assert.equal(readStats([1, 2]), null);
    assert.equal(readStats(null), null);
    assert.deepEqual(readStats({ count: 1 }), { count: 1 });
    assert.deepEqual(statsTests([{ name: 'a' }, null, 'x', [1], { id: 'b' }]), [{ name: 'a' }, { id: 'b' }]);
    assert.deepEqual(statsTests('not a list'), []);
  });
  it('reads counts as numbers and fields of objects only', () => {
    assert.deepEqual(statsCounts({ fail: '2', skip: 'x', success: 3 }), { fail: 2, skip: 0, success: 3 });
    assert.equal(statsCounts([1]), null);
    assert.equal(field({ a: 1 }, 'a'), 1);
    assert.equal(field('a', 'length'), undefined);
  });
});
