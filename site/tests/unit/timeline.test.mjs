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

// The v2 timeline: columns -> the same Run as raw.json gives, data scripts read
// without eval, and the worker's decoding path (fetch or payload, base64, gunzip,
// columns, packed for the transfer and unpacked).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { buildRun, runOfColumns, readConfig } from '../../.build/lib/model.mjs';
import { cleanName, timelineColumns, rawColumns, layOut } from '../../.build/lib/columns.mjs';
import { splitDataScript } from '../../.build/lib/datascript.mjs';
import { decodeTimeline, pack, unpack } from '../../.build/lib/timelinedecode.mjs';
import { runShape as plain } from './runshape.mjs';

const STATUSES = ['success', 'fail', 'skip', 'xfail', 'uxsuccess', 'inprogress'];
const ORIGIN = '2018-09-28T02:46:35.123456+00:00';
const ORIGIN_SEC_MS = Date.parse('2018-09-28T02:46:35Z');
const ORIGIN_MICRO = 123456;

/** ISO text of ``us`` microseconds after ORIGIN, written as the exporter writes it. */
function iso(us) {
  const total = ORIGIN_MICRO + us;
  const sec = Math.floor(total / 1e6);
  const micro = total - sec * 1e6;
  return `${new Date(ORIGIN_SEC_MS + sec * 1000).toISOString().slice(0, 19)}.${String(micro).padStart(6, '0')}+00:00`;
}

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Id forms and the display names clean_name gives them (stackviz_publish/model.py).
const FORMS = [
  ['tempest.api.compute.test_servers.ServersTest.test_create_%[id-9a0e2f1c-4b7d-4e63-8f9a-1c2d3e4f5a6b,smoke]', 'tempest.api.compute.test_servers.ServersTest.test_create_%'],
  ['setUpClass (tempest.api.network.test_ports_%.PortsTest)', 'tempest.api.network.test_ports_%.PortsTest.setUpClass'],
  ['pkg.mod.Test.test_%', 'pkg.mod.Test.test_%'],
  ['[id-x]pkg.lead_%', '[id-x]pkg.lead_%'],
  ['pkg.T.test_%[a][b]', 'pkg.T.test_%[b]'],
  ['tearDownClass (pkg.mod %.Class)', 'tearDownClass (pkg.mod %.Class)'],
  ['odd name (pkg.C%)', 'odd name (pkg.C%)'],
];

/**
 * A run as the exporter writes it twice: raw.json entries (v1) and the v2 timeline
 * columns, same tests in the same order: finished tests by completion, then the
 * unfinished ones (ending at the run's end), one of them on a guessed worker.
 */
function makeRun(n, seed, { workers = 4, shardSize = 7 } = {}) {
  const rand = rng(seed);
  const tests = [];
  const free = new Array(workers + 1).fill(0);
  for (let i = 0; i < n; i++) {
    const w = Math.floor(rand() * (workers + 1));   // w === workers: no worker tag
    const start = free[w] + Math.floor(rand() * 3e6);
    const end = start + 1 + Math.floor(rand() * 5e6);
    free[w] = end;
    const [form] = FORMS[i % FORMS.length];
    const tags = w === workers ? (i % 3 ? [] : ['smoke']) : i % 2 ? ['smoke', `worker-${w}`] : [`worker-${w}`];
    const status = STATUSES[Math.floor(rand() * rand() * 5)];
    tests.push({ id: form.replace('%', String(i)), start, end, worker: w === workers ? null : w, tags, status });
  }
  tests.sort((a, b) => a.end - b.end);
  const runEnd = Math.max(0, ...tests.map((t) => t.end)) + 5e6;
  for (let k = 0; k < 3; k++) {
    const w = k === 2 ? null : k;
    tests.push({ id: `pkg.stuck.Test.test_${k}`, start: free[k] + 1000, end: runEnd, worker: k === 1 ? 1 : w,
      tags: k === 1 ? ['worker-1'] : [], status: 'inprogress', unfinished: true, guessed: k === 1 });
  }
  // One test with no start (the readers draw it at its end) and a duplicate id.
  if (tests.length > 9) {
    tests[5].start = null;
    tests[8].id = tests[9].id;
  }
  const shard = (i) => Math.floor(i / shardSize);
  const raw = tests.map((t, i) => {
    const e = { name: cleanNameOf(t.id), status: t.status, tags: t.tags,
      timestamps: [t.start === null ? null : iso(t.start), iso(t.end)],
      duration: t.start === null ? 0.0 : (t.end - t.start) / 1e6, details: {}, id: t.id,
      worker: t.worker, shard: shard(i) };
    if (t.unfinished) e.unfinished = true;
    if (t.guessed) e.worker_guessed = true;
    return e;
  });
  const tagSets = [];
  const tagIndex = new Map();
  const timeline = {
    format_version: 2, origin: ORIGIN, count: tests.length,
    ids: tests.map((t) => t.id), status: tests.map((t) => STATUSES.indexOf(t.status)),
    worker: tests.map((t) => (t.worker === null ? -1 : t.worker)),
    start: tests.map((t) => t.start), end: tests.map((t) => t.end), tag_sets: tagSets,
    tags: tests.map((t) => {
      const key = t.tags.join('\n');
      if (!tagIndex.has(key)) {
        tagIndex.set(key, tagSets.length);
        tagSets.push(t.tags);
      }
      return tagIndex.get(key);
    }),
    unfinished: tests.flatMap((t, i) => (t.unfinished ? [i] : [])),
    worker_guessed: tests.flatMap((t, i) => (t.guessed ? [i] : [])),
    shards: { path: 'r-0-tests/', starts: Array.from({ length: Math.ceil(tests.length / shardSize) }, (_, k) => k * shardSize) },
  };
  return { raw, timeline };
}

/** The display name as the table above gives it (independent of cleanName). */
function cleanNameOf(id) {
  for (const [form, name] of FORMS) {
    const [head, tail] = form.split('%');
    if (id.startsWith(head) && id.endsWith(tail)) return name.replace('%', id.slice(head.length, id.length - tail.length));
  }
  return id;
}

const REF = readConfig({ datasets: [{ artifacts: [
  { path: 'r-0-raw.json', artifact_name: 'r', artifact_type: 'subunit', primary: true },
  { path: 'r-0-timeline.js', artifact_name: 'r', artifact_type: 'stackviz-timeline' },
] }] }).runs[0];

const STATS = {
  start: iso(0), warnings: ['w'],
  failures: [{ name: 'x', id: 'pkg.mod.Test.test_2', details: ['AssertionError: no'] }, { name: 'gone', id: 'nowhere', details: 'E' }],
  skips: [{ name: 's', id: 's', details: 'reason' }],
};

describe('v2 timeline columns', () => {
  it('give the same Run as raw.json, names by the clean_name rule', () => {
    for (const [n, seed] of [[0, 1], [1, 2], [60, 3], [500, 4]]) {
      const { raw, timeline } = makeRun(n, seed);
      const fromRaw = buildRun(REF, raw, STATS);
      const fromColumns = runOfColumns(REF, timelineColumns(timeline, 'r-0-timeline.js'), STATS, 'r-0-timeline.js');
      assert.deepEqual(plain(fromColumns), plain(fromRaw), `${n} tests`);
    }
  });

  it('built from a first screen, take failures and skips from the whole stats once loaded', () => {
    const { raw, timeline } = makeRun(60, 6);
    // The first screen (P-summary.js) has the start, end and warnings, not the lists.
    const first = { start: STATS.start, warnings: STATS.warnings, failures: [], skips: [] };
    let whole;
    const run = runOfColumns(REF, timelineColumns(timeline, 'p'), first, 'p', () => whole);
    const expected = buildRun(REF, raw, STATS);
    assert.deepEqual([run.start, run.end, run.warnings], [expected.start, expected.end, expected.warnings]);
    // Asked for before the whole stats are in: nothing from them, and nothing kept.
    assert.ok(!run.failures.some((f) => f.message), 'no messages before the whole stats');
    assert.deepEqual(run.skips, []);
    whole = STATS;
    const msg = (r) => r.failures.map((f) => [f.id, f.message]);
    assert.deepEqual(msg(run), msg(expected));
    assert.deepEqual(run.skips, expected.skips);
    // Unreadable whole stats (null): the failures come from the tests alone, as with no stats.
    const bare = runOfColumns(REF, timelineColumns(timeline, 'p'), first, 'p', () => null);
    assert.deepEqual(msg(bare), msg(buildRun(REF, raw, null)));
  });

  it('keep what the views rely on: lanes by worker, unfinished and guessed tests, shards', () => {
    const { timeline } = makeRun(60, 5);
    const run = runOfColumns(REF, timelineColumns(timeline, 'p'), null, 'p');
    assert.deepEqual(run.lanes.map((l) => l.label), ['worker 0', 'worker 1', 'worker 2', 'worker 3', 'no worker']);
    const stuck = run.tests.filter((t) => t.unfinished);
    assert.deepEqual(stuck.map((t) => [t.id, t.workerGuessed, t.status]), [0, 1, 2].map((k) =>
      [`pkg.stuck.Test.test_${k}`, k === 1, 5]));
    assert.equal(run.failures[0].id, 'pkg.stuck.Test.test_0', 'unfinished tests first');
    assert.equal(run.byId.get('setUpClass (tempest.api.network.test_ports_1.PortsTest)').name,
      'tempest.api.network.test_ports_1.PortsTest.setUpClass');
    assert.deepEqual(run.tests.slice(0, 15).map((t) => t.shard), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2]);
    assert.equal(run.classic, false);
    for (const lane of run.lanes) {
      for (let i = 1; i < lane.starts.length; i++) assert.ok(lane.starts[i - 1] <= lane.starts[i]);
    }
  });

  it('give the same milliseconds as parseIso reads from the ISO text', () => {
    // Microseconds near a second's end and a minute's: one rounding, both ways.
    const us = [0, 1, 876543, 876544, 999999, 1e6, 59e6 + 876544, 3600e6 + 1];
    const timeline = { origin: ORIGIN, count: us.length, ids: us.map(String), status: us.map(() => 0),
      worker: us.map(() => 0), start: us, end: us, tags: us.map(() => 0), tag_sets: [[]] };
    const raw = us.map((u) => ({ name: String(u), id: String(u), status: 'success', tags: [],
      timestamps: [iso(u), iso(u)], duration: 0, worker: 0 }));
    assert.deepEqual([...timelineColumns(timeline, 'p').start], [...rawColumns(raw, 'r').start]);
  });

  it('leave out unreadable tests with a warning, and refuse a damaged file', () => {
    const { timeline } = makeRun(20, 6);
    timeline.ids[3] = 7;
    timeline.start[4] = null;
    timeline.end[4] = 'x';
    timeline.tags[5] = 99;
    timeline.status[6] = 'fail';
    const run = runOfColumns(REF, timelineColumns(timeline, 'p.js'), null, 'p.js');
    assert.equal(run.tests.length, 21);
    assert.deepEqual(run.tests.map((t) => t.id), timeline.ids.filter((_, i) => i !== 3 && i !== 4));
    assert.deepEqual(run.tests.map((t) => t.start), [...timelineColumns({ ...timeline, ids: timeline.ids.map(String) }, 'p').start]
      .filter((_, i) => i !== 3), 'the other columns stay aligned with the ids (test 4 is left out of both)');
    assert.deepEqual(run.warnings, ['2 entries of p.js could not be read and are not shown']);
    assert.deepEqual(run.tests[3].tags, [], 'a damaged tag index gives no tags');
    assert.equal(run.tests[4].status, 0, 'a damaged status reads as success, as in raw.json');
    assert.throws(() => timelineColumns({ ...timeline, end: [1] }, 'p.js'), /p\.js: "end" is not a list of 23 values/);
    assert.throws(() => timelineColumns([], 'p.js'), /not a timeline object/);
    assert.throws(() => timelineColumns({ count: -1 }, 'p.js'), /no test count/);
  });

  it('lay out lanes: worker numbers in order, no worker last, each lane by start', () => {
    const worker = Float64Array.from([5, NaN, 5, 1e12, 0, -3, 5]);
    const start = Float64Array.from([30, 1, 10, 2, 3, 4, 10]);
    const end = Float64Array.from([31, 2, 20, 3, 4, 5, 15]);
    const l = layOut(worker, start, end);
    assert.deepEqual([...l.workers], [-3, 0, 5, 1e12, NaN]);
    assert.deepEqual([...l.order], [5, 4, 6, 2, 0, 3, 1]);
    assert.deepEqual([...l.bounds], [0, 1, 2, 5, 6, 7]);
    assert.deepEqual([...l.lane], [2, 4, 2, 3, 1, 0, 2]);
  });
});

describe('cleanName', () => {
  it('follows model.clean_name', () => {
    for (const [form, name] of FORMS) assert.equal(cleanName(form.replace('%', '1')), name.replace('%', '1'));
    assert.equal(cleanName(''), '');
    assert.equal(cleanName('a (b)'), 'b.a');
  });
});

function dataScript(path, encoding, payload) {
  return `stackvizData(${JSON.stringify(path)}, ${JSON.stringify(encoding)}, ${JSON.stringify(payload)});\n`;
}

describe('data scripts', () => {
  it('give their three literals without running anything', () => {
    assert.deepEqual(splitDataScript(dataScript('a/"b".js', 'json', '{"x": "\\u00e9\\n"}'), 'n'),
      { path: 'a/"b".js', encoding: 'json', payload: '{"x": "\\u00e9\\n"}' });
    assert.deepEqual(splitDataScript('stackvizData("p","gzip-base64","QUJD");', 'n'),
      { path: 'p', encoding: 'gzip-base64', payload: 'QUJD' });
  });

  it('refuse anything else', () => {
    for (const bad of ['', 'alert(1)', 'stackvizData("p", "json", "x"); alert(1);\n',
      'stackvizData("p", "json", "x" + alert(1));', 'stackvizData("p" "json", "x");', 'stackvizData("p", "json");',
      'stackvizData("p", "json", "x\\");']) {
      assert.throws(() => splitDataScript(bad, 'n.js'), /n\.js is not a stackviz data script/, bad);
    }
  });
});

describe('timeline decoding (the worker path)', () => {
  const { raw, timeline } = makeRun(300, 7);
  const json = JSON.stringify(timeline);
  const gz = gzipSync(Buffer.from(json)).toString('base64');
  const serve = (files) => async (url) => {
    const body = files[url];
    return { ok: body !== undefined, status: body === undefined ? 404 : 200, text: async () => body };
  };

  /** What the page gets: the columns, through a structured clone with their buffers transferred. */
  async function viaWorker(req, fetchFn) {
    const { packed, transfer } = pack(await decodeTimeline(req, fetchFn));
    const moved = structuredClone(packed, { transfer });
    assert.equal(transfer[0].byteLength, 0, 'the buffers were moved, not copied');
    return unpack(moved);
  }

  it('fetches, inflates and reads a gzip-base64 timeline into the same Run', async () => {
    const fetchFn = serve({ 'http://h/data/r-0-timeline.js': dataScript('r-0-timeline.js', 'gzip-base64', gz) });
    const cols = await viaWorker({ path: 'r-0-timeline.js', url: 'http://h/data/r-0-timeline.js' }, fetchFn);
    const run = runOfColumns(REF, cols, STATS, 'r-0-timeline.js');
    assert.deepEqual(plain(run), plain(buildRun(REF, raw, STATS)));
  });

  /** A response whose body arrives in chunks of the given sizes (the last one repeats). */
  const streamed = (text, sizes) => async () => {
    const bytes = new TextEncoder().encode(text);
    let at = 0, k = 0;
    const body = new ReadableStream({
      pull(c) {
        if (at >= bytes.length) return c.close();
        const n = sizes[Math.min(k++, sizes.length - 1)];
        c.enqueue(bytes.slice(at, at += n));
      },
    });
    return { ok: true, status: 200, body, text: async () => assert.fail('read as a stream') };
  };

  it('inflates a streamed body as it arrives, cut anywhere', async () => {
    const script = dataScript('r-0-timeline.js', 'gzip-base64', gz);
    const want = plain(buildRun(REF, raw, null));
    for (const sizes of [[1], [3, 70000], [script.length], [5, 1, 4093, 65537]]) {
      if (sizes[0] === 1 && sizes.length === 1) {
        // One byte at a time: the head is read across chunks (a short run keeps it quick).
        const small = makeRun(5, 9);
        const text = dataScript('p', 'gzip-base64', gzipSync(Buffer.from(JSON.stringify(small.timeline))).toString('base64'));
        const cols = await viaWorker({ path: 'p', url: 'u' }, streamed(text, sizes));
        assert.deepEqual(plain(runOfColumns(REF, cols, null, 'p')), plain(buildRun(REF, small.raw, null)));
        continue;
      }
      const cols = await viaWorker({ path: 'r-0-timeline.js', url: 'u' }, streamed(script, sizes));
      assert.deepEqual(plain(runOfColumns(REF, cols, null, 'p')), want, String(sizes));
    }
    const cols = await viaWorker({ path: 'p', url: 'u' }, streamed(dataScript('p', 'json', json), [100]));
    assert.deepEqual(plain(runOfColumns(REF, cols, null, 'p')), want, 'json encoding, streamed');
  });

  it('refuses a damaged stream', async () => {
    const cut = gz.slice(0, 2000) + '"+x+"' + gz.slice(2000);
    for (const text of [dataScript('p', 'gzip-base64', gz).replace(');', '); x();'), 'stackvizData("p", "gzip-base64", "' + cut + '");',
      dataScript('p', 'gzip-base64', gz.slice(0, 4000)), 'x'.repeat(5000)]) {
      await assert.rejects(decodeTimeline({ path: 'p', url: 'u' }, streamed(text, [1000])), /p: damaged payload|p is not a stackviz data script/);
    }
  });

  it('reads a payload a <script> delivered (file://), json encoding too', async () => {
    const none = serve({});
    for (const [encoding, payload] of [['gzip-base64', gz], ['json', json]]) {
      const cols = await viaWorker({ path: 'r-0-timeline.js', encoding, payload }, none);
      assert.deepEqual(plain(runOfColumns(REF, cols, null, 'p')), plain(buildRun(REF, raw, null)));
    }
  });

  it('says what is wrong with a missing or damaged file', async () => {
    const url = 'http://h/t.js';
    await assert.rejects(decodeTimeline({ path: 't.js', url }, serve({})), /t\.js: HTTP 404/);
    await assert.rejects(decodeTimeline({ path: 't.js', url }, serve({ [url]: 'var x = 1;' })), /not a stackviz data script/);
    await assert.rejects(decodeTimeline({ path: 't.js', url }, serve({ [url]: dataScript('t.js', 'json', '{"count": ') })), /t\.js is not valid JSON/);
    await assert.rejects(decodeTimeline({ path: 't.js', url }, serve({ [url]: dataScript('t.js', 'gzip-base64', 'QUJD') })));
    await assert.rejects(decodeTimeline({ path: 't.js', encoding: 'rot13', payload: '{}' }, serve({})), /unknown twin encoding/);
    for (const payload of ['QUJD', '"x"', gz.slice(0, 3000)]) {
      await assert.rejects(decodeTimeline({ path: 't.js', encoding: 'gzip-base64', payload }, serve({})), /^Error: t\.js: damaged payload/);
    }
  });
});
