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


// A writer of format v1 (doc/source/data-format.rst as of format_version 1) for the
// browser tests: the Python tools now write v2, and the site must keep reading v1
// folders already published. Tests are generated here (no Python), then written as
// v1 lays them out: config.json + twin, raw.json, stats.json, the -details/ shards,
// optionally the monolithic details.json, each (but details.json) with its script
// twin; with `gzip`, every data file as .gz and its twin as gzip-base64.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const STATUSES = ['success', 'fail', 'skip', 'xfail', 'uxsuccess'];

/** ISO 8601 as v1 writes it: six digits of microseconds and +00:00. */
function iso(us) {
  return new Date(Math.floor(us / 1000)).toISOString().replace(/\.\d+Z$/, '') +
    `.${String(us % 1e6).padStart(6, '0')}+00:00`;
}

/** A JSON string literal in ASCII, as Python's encode_basestring_ascii writes it. */
export function asciiLiteral(s) {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The classic display name of an id (model.clean_name). */
function cleanName(id) {
  const a = id.indexOf('[');
  const b = a > 0 ? id.indexOf(']', a) : -1;
  return b > a && a > 0 ? id.slice(0, a) + id.slice(b + 1) : id;
}

/**
 * `count` tests on `workers` workers from 2018-09-28T02:46:35Z, back to back per
 * worker; every 13th fails (traceback and a log), every 17th is skipped, and the
 * last `unfinished` never finish. Deterministic: the same call gives the same run.
 */
export function generateTests({ count = 200, workers = 4, unfinished = 1, start = Date.parse('2018-09-28T02:46:35Z') } = {}) {
  const tests = [];
  const next = new Array(workers).fill(start * 1000);
  for (let i = 0; i < count; i++) {
    const w = i % workers;
    const dur = 200000 + ((i * 7919) % 3000000);
    const cls = `tempest.api.compute.servers.test_v${i % 7}.ServersTest${i % 5}`;
    const id = `${cls}.test_case_${i}` + (i % 3 === 0 ? `[id-${(i * 2654435761 >>> 0).toString(16)},smoke]` : '');
    const status = i % 13 === 5 ? 'fail' : i % 17 === 3 ? 'skip' : i % 41 === 7 ? 'xfail' : 'success';
    const details = {};
    if (status === 'fail') {
      details.traceback = `Traceback (most recent call last):\n  File "${cls}.py", line ${i}, in test\n    self.check()\n` +
        `ValueError: check ${i % 4} failed`;
    }
    if (status === 'skip') details.reason = `Skipped until bug ${i % 3} is resolved.`;
    if (i % 4 === 1 || status === 'fail') {
      details.pythonlogging = [0, 1, 2, 3].map((k) => `2018-09-28 02:46:35.${k}00 1234 ${['DEBUG', 'INFO', 'WARNING', 'ERROR'][k]} ` +
        `tempest.lib [-] record ${k} of test ${i}`).join('\n');
    }
    tests.push({ id, name: cleanName(id), status, worker: w, tags: i % 3 === 0 ? ['smoke', `worker-${w}`] : [`worker-${w}`],
      start: next[w], end: next[w] + dur, details });
    next[w] += dur + 30000;
  }
  // Finished tests in completion order, then the unfinished ones (as raw.json).
  tests.sort((a, b) => a.end - b.end);
  const runEnd = Math.max(...tests.map((t) => t.end));
  for (let i = 0; i < unfinished; i++) {
    const w = i % workers;
    const id = `tempest.api.volume.test_attach.AttachTest.test_never_ends_${i}`;
    tests.push({ id, name: id, status: 'inprogress', worker: w, tags: [`worker-${w}`], start: runEnd - 5e6,
      end: runEnd, details: {}, unfinished: true });
  }
  return tests;
}

function exceptionLine(tb) {
  const lines = tb.split('\n');
  return lines[lines.length - 1];
}

function statsOf(tests) {
  const counts = Object.fromEntries([...STATUSES, 'inprogress'].map((s) => [s, 0]));
  for (const t of tests) counts[t.status]++;
  const first = Math.min(...tests.map((t) => t.start)), last = Math.max(...tests.map((t) => t.end));
  const dur = (t) => (t.end - t.start) / 1e6;
  const failures = tests.filter((t) => t.status === 'fail' || t.status === 'uxsuccess')
    .map((t) => ({ name: t.name, id: t.id, duration: dur(t), details: (t.details.traceback || '').split('\n').slice(-3) }));
  const skips = tests.filter((t) => t.status === 'skip')
    .map((t) => ({ name: t.name, id: t.id, duration: dur(t), details: t.details.reason || '' }));
  const group = (list, key, message) => {
    const by = new Map();
    for (const f of list) {
      const k = key(f);
      if (!by.has(k)) by.set(k, { cause: k, message: message(f), count: 0, tests: [], more_tests: 0, classes: [] });
      const g = by.get(k);
      g.count++;
      g.tests.push(f.id);
    }
    return [...by.values()].sort((a, b) => b.count - a.count);
  };
  return {
    count: tests.filter((t) => t.status !== 'inprogress').length,
    start: iso(first), end: iso(last),
    total_duration: tests.filter((t) => t.status !== 'inprogress').reduce((a, t) => a + dur(t), 0),
    failures, skips,
    format_version: 1,
    wall_time: (last - first) / 1e6,
    workers: [...new Set(tests.map((t) => t.worker))].sort((a, b) => a - b),
    counts,
    inprogress: tests.filter((t) => t.status === 'inprogress').map((t) => ({ name: t.name, id: t.id, start: iso(t.start), worker: t.worker })),
    warnings: [],
    triage: {
      failure_groups: group(failures, (f) => exceptionLine(f.details.join('\n')), (f) => f.details.slice(-1)),
      failure_groups_not_listed: { groups: 0, tests: 0 },
      skip_groups: group(skips, (s) => s.details.split('\n')[0] || '(no reason given)', (s) => [s.details]),
      skip_groups_not_listed: { groups: 0, tests: 0 },
      limits: { groups: 50, tests: 1000 },
    },
  };
}

/** Shards of consecutive tests (raw.json order) with attachments, `per` tests each. */
function shardsOf(tests, per) {
  const shards = [];
  for (const t of tests) {
    if (!Object.keys(t.details).length) {
      t.shard = null;
      continue;
    }
    if (!shards.length || Object.keys(shards[shards.length - 1]).length >= per) shards.push({});
    t.shard = shards.length - 1;
    shards[t.shard][t.id] = t.details;
  }
  return shards;
}

function rawOf(tests) {
  return tests.map((t) => {
    const e = { name: t.name, status: t.status, tags: t.tags, timestamps: [iso(t.start), iso(t.end)],
      duration: (t.end - t.start) / 1e6, details: {}, id: t.id, worker: t.worker, shard: t.shard };
    if (t.unfinished) e.unfinished = true;
    return e;
  });
}

/** Twin path of a data file (loader.twinPath). */
function twinOf(path) {
  const p = path.endsWith('.gz') ? path.slice(0, -3) : path;
  const base = p.slice(p.lastIndexOf('/') + 1);
  return base === 'config.json' || (p.includes('/') && /^\d+\.json$/.test(base)) ? p.slice(0, -5) + '.js' : p + '.js';
}

/**
 * Write `tests` (from generateTests) as a v1 run named `name` into `data`;
 * `dstat`: the text of a dstat CSV log to add. Returns config.json's content.
 */
export function writeV1(data, tests, { name = 'tempest.subunit', gzip = false, monolithic = false, perShard = 40, dstat = null } = {}) {
  mkdirSync(data, { recursive: true });
  const put = (rel, text, { twin = true, encoding = 'json' } = {}) => {
    const path = rel + (gzip ? '.gz' : '');
    mkdirSync(dirname(join(data, path)), { recursive: true });
    const bytes = gzip ? gzipSync(Buffer.from(text, 'utf8')) : Buffer.from(text, 'utf8');
    writeFileSync(join(data, path), bytes);
    if (!twin) return path;
    const payload = gzip ? `"${bytes.toString('base64')}"` : asciiLiteral(text);
    writeFileSync(join(data, twinOf(path)), `stackvizData(${asciiLiteral(path)}, "${gzip ? 'gzip-base64' : encoding}", ${payload});\n`);
    return path;
  };
  const p = `${name}-0`;
  const shards = shardsOf(tests, perShard);
  const art = (path, type, extra = {}) => ({ path, artifact_name: name, artifact_type: type,
    content_type: 'application/json', primary: false, script_path: twinOf(path),
    ...(gzip ? { content_encoding: 'gzip' } : {}), ...extra });
  const artifacts = [
    art(put(`${p}-raw.json`, JSON.stringify(rawOf(tests))), 'subunit', { primary: true }),
    art(put(`${p}-stats.json`, JSON.stringify(statsOf(tests))), 'subunit-stats'),
  ];
  shards.forEach((s, k) => put(`${p}-details/${k}.json`, JSON.stringify(s)));
  artifacts.push({ path: `${p}-details/`, artifact_name: name, artifact_type: 'subunit-details-shards',
    content_type: 'application/json', primary: false, shard_count: shards.length, suffix: gzip ? '.json.gz' : '.json' });
  if (monolithic) {
    const all = Object.fromEntries(tests.filter((t) => Object.keys(t.details).length).map((t) => [t.id, t.details]));
    const path = put(`${p}-details.json`, JSON.stringify(all), { twin: false });
    artifacts.push({ path, artifact_name: name, artifact_type: 'subunit-details', content_type: 'application/json',
      primary: false, ...(gzip ? { content_encoding: 'gzip' } : {}) });
  }
  if (dstat !== null) {
    const path = put('dstat.csv', dstat, { encoding: 'text' });
    artifacts.push({ path, artifact_name: 'dstat-csv.log', artifact_type: 'dstat', content_type: 'text/csv',
      primary: false, script_path: twinOf(path), node: 'primary', ...(gzip ? { content_encoding: 'gzip' } : {}) });
  }
  const config = { format_version: 1, generator: 'stackviz-publish (browser test v1 writer)', script: 'config.js',
    datasets: [{ name: 'tempest', metadata: { job: 'v1-fixture' }, artifacts }] };
  const text = JSON.stringify(config);
  writeFileSync(join(data, 'config.json'), text);
  writeFileSync(join(data, 'config.js'), `stackvizData("config.json", "json", ${asciiLiteral(text)});\n`);
  return config;
}
