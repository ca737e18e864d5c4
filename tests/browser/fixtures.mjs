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

// Published sites for the browser tests and the benchmark: streams made by the
// project's generator, exported by the project's exporter, the built site copied
// beside the data, as the publisher lays them out.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTests, writeV1 } from './v1data.mjs';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const SITE = join(REPO, 'stackviz_publish', 'site');
const PYTHON = process.env.STACKVIZ_PYTHON || 'python3';

function py(args) {
  execFileSync(PYTHON, args, { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Generate src/tempest.subunit with the project's generator; returns its path. */
function generateStream(src, { tests, workers, unfinished, hostile, logBytes, sameCause }) {
  const stream = join(src, 'tempest.subunit');
  const gen = ['-m', 'stackviz_publish.generate', 'stream', '--tests', String(tests),
    '--workers', String(workers), '--unfinished', String(unfinished), '--start', '2018-09-28T02:46:35'];
  if (hostile) gen.push('--hostile');
  if (logBytes !== null) gen.push('--log-bytes', String(logBytes));
  if (sameCause) gen.push('--same-cause', String(sameCause));
  py([...gen, stream]);
  return stream;
}

/** Generate a stream (+ dstat) and export it: returns the published folder. */
export function publishRun(root, name, { tests = 400, workers = 4, unfinished = 1, hostile = false,
  gzip = false, dstat = true, logBytes = null, secondRun = 0, sameCause = 0, seconds = null,
  exportArgs = [] } = {}) {
  const dir = join(root, name);
  const src = join(root, `${name}-src`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(src, { recursive: true });
  const stream = generateStream(src, { tests, workers, unfinished, hostile, logBytes, sameCause });
  const exp = ['-m', 'stackviz_publish.cli.export_cmd', '-f', stream];
  if (secondRun) {
    // A second stream in the same call: a second run in config.json.
    const other = join(src, 'second.subunit');
    py(['-m', 'stackviz_publish.generate', 'stream', '--tests', String(secondRun), '--workers', '2',
      '--seed', '7', '--start', '2018-09-28T04:00:00', other]);
    exp.push('-f', other);
  }
  if (dstat) exp.push('--dstat', dstatLog(src, seconds ?? Math.max(120, Math.ceil(tests / workers) * 3)));
  if (gzip) exp.push('--gzip');
  py([...exp, ...exportArgs, join(dir, 'data')]);
  cpSync(SITE, dir, { recursive: true });
  return dir;
}

function dstatLog(src, seconds) {
  const csv = join(src, 'dstat-csv.log');
  py(['-m', 'stackviz_publish.generate', 'dstat', '--start', '2018-09-28T02:46:30', '--seconds', String(seconds), csv]);
  return csv;
}

/** A site with format v1 data as published before v2 (written by v1data.mjs, not by
 *  the Python tools, which write v2 now), with a dstat log. */
export function publishV1(root, name, { tests = 200, workers = 4, unfinished = 1, gzip = false,
  monolithic = false, dstat = true } = {}) {
  const dir = join(root, name);
  const src = join(root, `${name}-src`);
  mkdirSync(src, { recursive: true });
  const csv = dstat ? readFileSync(dstatLog(src, Math.max(120, Math.ceil(tests / workers) * 4)), 'utf8') : null;
  writeV1(join(dir, 'data'), generateTests({ count: tests, workers, unfinished }), { gzip, monolithic, dstat: csv });
  cpSync(SITE, dir, { recursive: true });
  return dir;
}

/** Generate a stream (+ dstat) and publish it with `stackviz-publish publish` (format
 *  v2; `args`: more publish flags, e.g. --no-compress): returns the site's folder. */
export function publishV2(root, name, { tests = 400, workers = 4, unfinished = 1, hostile = false,
  dstat = true, logBytes = null, sameCause = 0, args = [] } = {}) {
  const logs = join(root, name);
  const src = join(root, `${name}-src`);
  mkdirSync(logs, { recursive: true });
  mkdirSync(src, { recursive: true });
  const stream = generateStream(src, { tests, workers, unfinished, hostile, logBytes, sameCause });
  const pub = ['-m', 'stackviz_publish.cli.main', 'publish', '--no-env', '--no-service-logs', '--time-limit', '0',
    '--max-output-bytes', '0', '--subunit', stream];
  if (dstat) pub.push('--dstat', dstatLog(src, Math.max(120, Math.ceil(tests / workers) * 3)));
  py([...pub, ...args, logs]);
  return join(logs, 'stackviz');
}

/** Rewrite an exported folder into what the classic stackviz-export writes. */
export function classicize(dir) {
  const data = join(dir, 'data');
  const cfg = JSON.parse(readFileSync(join(data, 'config.json'), 'utf8'));
  for (const ds of cfg.datasets) {
    delete ds.metadata;
    // Classic data has none of the v1 and v2 extensions.
    ds.artifacts = ds.artifacts.filter((a) => a.artifact_type !== 'subunit-details-shards' &&
      a.artifact_type !== 'service-logs' && !a.artifact_type.startsWith('stackviz-'));
    for (const a of ds.artifacts) {
      for (const k of ['script_path', 'node', 'content_encoding']) delete a[k];
    }
  }
  for (const k of ['format_version', 'generator', 'script']) delete cfg[k];
  writeFileSync(join(data, 'config.json'), JSON.stringify(cfg));
  for (const f of readdirSync(data)) {
    const p = join(data, f);
    if (/(\.js|-details|-tests|-ids|-servicelogs)$/.test(f)) rmSync(p, { recursive: true });
    else if (f.endsWith('-raw.json')) {
      const raw = JSON.parse(readFileSync(p, 'utf8'))
        .filter((t) => !t.unfinished)
        .map(({ id, worker, shard, unfinished, ...rest }) => rest);
      writeFileSync(p, JSON.stringify(raw));
    } else if (f.endsWith('-stats.json')) {
      const s = JSON.parse(readFileSync(p, 'utf8'));
      const classic = { count: s.count, start: s.start, end: s.end, total_duration: s.total_duration,
        failures: s.failures.map((x) => ({ name: x.name, duration: x.duration, details: null })),
        skips: s.skips.map((x) => ({ name: x.name, duration: x.duration, details: null })) };
      writeFileSync(p, JSON.stringify(classic));
    }
  }
  return dir;
}

/** Export existing subunit streams (several runs in one call) and add the site. */
export function publishStreams(root, name, streams) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  py(['-m', 'stackviz_publish.cli.export_cmd', ...streams.flatMap((s) => ['-f', s]), join(dir, 'data')]);
  cpSync(SITE, dir, { recursive: true });
  return dir;
}

function v1Time(ms) {
  // subunit v1 "time:" lines take any year, unlike v2's unsigned seconds.
  return `time: ${new Date(ms).toISOString().replace('T', ' ').replace('Z', '000Z')}\n`;
}

/**
 * A subunit v1 run of `tests` tests on `workers` workers starting at 2018-09-28,
 * plus tests whose clocks were far off (`outliers`: [name, ISO start] pairs, e.g. a
 * node clock reset to 1970, or a year-1000 timestamp), exported and published.
 */
export function publishOutlierRun(root, name, { tests = 400, workers = 4, outliers = [] } = {}) {
  const dir = join(root, name);
  const src = join(root, `${name}-src`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(src, { recursive: true });
  const start = Date.parse('2018-09-28T02:46:35Z');
  const next = new Array(workers).fill(start);
  const out = [];
  const one = (id, worker, t0, t1, status) => {
    out.push(v1Time(t0), `test: ${id}\n`, `tags: worker-${worker}\n`, v1Time(t1), `${status}: ${id}\n`);
  };
  for (let i = 0; i < tests; i++) {
    const w = i % workers;
    const dur = 200 + ((i * 7919) % 5000);
    const status = i % 37 === 5 ? 'failure' : 'success';
    one(`tempest.api.compute.test_servers.ServersTest.test_${i}`, w, next[w], next[w] + dur, status);
    next[w] += dur + 30;
  }
  outliers.forEach(([id, iso], k) => {
    const t0 = Date.parse(iso);
    one(id, k % workers, t0, t0 + 1500, 'success');
  });
  const stream = join(src, 'tempest.subunit');
  writeFileSync(stream, out.join(''));
  py(['-m', 'stackviz_publish.cli.export_cmd', '-f', stream, join(dir, 'data')]);
  cpSync(SITE, dir, { recursive: true });
  return dir;
}

/** Squeeze an exported run's times by `factor` around its start (a sub-second run
 *  from a generated one): raw.json, stats.json and the v2 timeline, read over HTTP. */
export function squeezeTime(dir, factor) {
  const data = join(dir, 'data');
  for (const f of readdirSync(data)) {
    const p = join(data, f);
    if (f.endsWith('-stats.json')) {
      const s = JSON.parse(readFileSync(p, 'utf8'));
      const t0 = Date.parse(s.start);
      const at = (x) => new Date(t0 + (Date.parse(x) - t0) / factor).toISOString();
      s.end = at(s.end);
      s.wall_time /= factor;
      writeFileSync(p, JSON.stringify(s));
      const rawPath = p.replace(/-stats\.json$/, '-raw.json');
      const raw = JSON.parse(readFileSync(rawPath, 'utf8')).map((t) => ({
        ...t, timestamps: t.timestamps.map(at), duration: t.duration / factor }));
      writeFileSync(rawPath, JSON.stringify(raw));
      // The timeline counts microseconds from the run's start.
      const tlPath = p.replace(/-stats\.json$/, '-timeline.js');
      if (existsSync(tlPath)) {
        const [, path, encoding, payload] = /^stackvizData\(("[^"]*"), ("[^"]*"), "(.*)"\);\s*$/s.exec(readFileSync(tlPath, 'utf8'));
        if (JSON.parse(encoding) !== 'gzip-base64') throw new Error('squeezeTime reads compressed timelines only');
        const tl = JSON.parse(gunzipSync(Buffer.from(payload.replace(PIECE_JOIN, ''), 'base64')));
        for (const k of ['start', 'end']) tl[k] = tl[k].map((x) => (x === null ? null : Math.round(x / factor)));
        writeFileSync(tlPath, `stackvizData(${path}, ${encoding}, "${gzipSync(JSON.stringify(tl)).toString('base64')}");\n`);
      }
    }
  }
  return dir;
}

/** Between the pieces of a gzip-base64 payload written in several literals. */
const PIECE_JOIN = /"\s*\+\s*"/g;

/** The text of a data file of a published folder, whatever its format: a v2 data
 *  script (any encoding), a v1 .gz file or a plain file. */
export function readData(dir, path) {
  const file = join(dir, 'data', path);
  if (path.endsWith('.js')) {
    const m = /^stackvizData\(("[^"]*"), ("[^"]*"), ("[\s\S]*")\);\n$/.exec(readFileSync(file, 'ascii'));
    if (JSON.parse(m[2]) !== 'gzip-base64') return JSON.parse(m[3]);
    // A payload may come in pieces, "A" + "B" (data-format.rst, "Data scripts").
    return gunzipSync(Buffer.from(m[3].slice(1, -1).replace(PIECE_JOIN, ''), 'base64')).toString('utf8');
  }
  const bytes = readFileSync(file);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** config.json's artifact of type `type` for the first run. */
export function artifactOf(dir, type) {
  const cfg = JSON.parse(readFileSync(join(dir, 'data', 'config.json'), 'utf8'));
  return cfg.datasets.flatMap((d) => d.artifacts).find((a) => a.artifact_type === type) || null;
}
