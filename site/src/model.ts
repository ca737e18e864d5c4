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

// The run model: config.json's runs, and raw.json + stats.json turned into
// compact per-worker lanes. Reads the classic format and its v1 extensions.
import { Artifact, Config, Stats, statsTests } from './format';
import { parseIso } from './iso';

export type { Artifact, Config } from './format';

export const STATUSES = ['success', 'fail', 'skip', 'xfail', 'uxsuccess', 'inprogress'] as const;
export type Status = (typeof STATUSES)[number];
// A test's status is its index in STATUSES: one code per status, named here.
export const SUCCESS = 0;
export const FAIL = 1;
export const SKIP = 2;
export const XFAIL = 3;
export const UXSUCCESS = 4;
export const INPROGRESS = 5;

export interface RunRef {
  name: string;
  /** classic / v1 raw.json; null in v2 output without --classic */
  raw: Artifact | null;
  /** v2: the tests in columns (P-timeline.js) */
  timeline: Artifact | null;
  /** v2: test shards (P-tests/) */
  tests: Artifact | null;
  /** v2: id index buckets (P-ids/) */
  ids: Artifact | null;
  stats: Artifact | null;
  details: Artifact | null;
  shards: Artifact | null;
  services: Artifact | null;
  metadata: Record<string, string>;
}

export interface DstatRef {
  node: string;
  artifact: Artifact;
}

export interface Index {
  runs: RunRef[];
  dstat: DstatRef[];
}

/** Runs (artifact groups with a primary artifact) and dstat logs of a config. */
export function readConfig(cfg: Config): Index {
  if (!cfg || !Array.isArray(cfg.datasets)) throw new Error('config.json has no datasets list');
  const runs: RunRef[] = [];
  const dstat: DstatRef[] = [];
  for (const ds of cfg.datasets) {
    const groups = new Map<string, Artifact[]>();
    for (const a of ds.artifacts || []) {
      if (!a || typeof a.path !== 'string') continue;
      if (a.artifact_type === 'dstat') {
        dstat.push({ node: a.node || (dstat.length ? a.artifact_name : 'primary'), artifact: a });
        continue;
      }
      const g = groups.get(a.artifact_name) || [];
      g.push(a);
      groups.set(a.artifact_name, g);
    }
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(ds.metadata || {})) {
      if (v !== null && v !== undefined && typeof v !== 'object') metadata[k] = String(v);
    }
    for (const [name, runArtifacts] of groups) {
      const find = (t: string) => runArtifacts.find((a) => a.artifact_type === t) || null;
      const raw = runArtifacts.find((a) => a.primary && a.artifact_type === 'subunit') || null;
      const timeline = find('stackviz-timeline');
      if (!raw && !timeline) continue;
      runs.push({
        name,
        raw,
        timeline,
        tests: find('stackviz-tests'),
        ids: find('stackviz-ids'),
        stats: find('subunit-stats'),
        details: find('subunit-details'),
        shards: find('subunit-details-shards'),
        services: find('service-logs'),
        metadata,
      });
    }
  }
  return { runs, dstat };
}

export interface Test {
  idx: number;
  id: string;
  name: string;
  status: number;
  tags: string[];
  start: number;
  end: number;
  duration: number;
  worker: number | null;
  lane: number;
  shard: number | null;
  unfinished: boolean;
  /** timestamps far outside the run's main group (a clock reset, a year-1000 date) */
  outlier: boolean;
}

export interface Lane {
  worker: number | null;
  label: string;
  /** test indexes, by start time */
  tests: Int32Array;
  starts: Float64Array;
  ends: Float64Array;
  /** running maximum of ends of non-outliers: finds the first visible test even after a long one */
  reach: Float64Array;
  /** test indexes of this lane's outliers, drawn on their own: their ends would stretch reach */
  outliers: Int32Array;
  busy: number;
  idle: number;
  longestGap: number;
  longestGapAt: number;
}

export interface Failure {
  test: Test | null;
  name: string;
  id: string;
  message: string[] | null;
}

export interface Run {
  ref: RunRef;
  tests: Test[];
  byId: Map<string, Test>;
  lanes: Lane[];
  start: number;
  end: number;
  /** the extent of the run without its outliers: what the timeline opens on */
  core: { start: number; end: number };
  /** tests with timestamps far outside the run, by start time */
  outliers: Test[];
  counts: Record<Status, number>;
  totalDuration: number;
  failures: Failure[];
  skips: { name: string; id: string; reason: string | null }[];
  warnings: string[];
  classic: boolean;
}

const WORKER_TAG = /^worker-(\d+)$/;

function statusCode(s: unknown): number {
  const i = STATUSES.indexOf(s as Status);
  return i < 0 ? 0 : i;
}

function workerOf(e: Record<string, unknown>, tags: string[]): number | null {
  if (typeof e.worker === 'number') return e.worker;
  for (const t of tags) {
    const m = WORKER_TAG.exec(t);
    if (m) return parseInt(m[1], 10);
  }
  return null;
}

export function buildRun(ref: RunRef, raw: unknown, stats: Stats | null): Run {
  if (!Array.isArray(raw)) throw new Error(`${ref.raw?.path ?? 'raw.json'} is not a list of tests`);
  const warnings: string[] = Array.isArray(stats?.warnings) ? stats.warnings.map(String) : [];
  const tests: Test[] = [];
  const byId = new Map<string, Test>();
  let bad = 0;
  let classic = true;
  for (const e of raw as Record<string, unknown>[]) {
    if (!e || typeof e !== 'object' || typeof e.name !== 'string') {
      bad++;
      continue;
    }
    const ts = Array.isArray(e.timestamps) ? e.timestamps : [];
    let start = parseIso(ts[0]);
    let end = parseIso(ts[1]);
    if (isNaN(start) && isNaN(end)) {
      bad++;
      continue;
    }
    if (isNaN(start)) start = end;
    if (isNaN(end)) end = start;
    if (typeof e.id === 'string') classic = false;
    const tags = Array.isArray(e.tags) ? (e.tags as string[]) : [];
    const t: Test = {
      idx: tests.length,
      id: typeof e.id === 'string' ? e.id : e.name,
      name: e.name,
      status: statusCode(e.status),
      tags,
      start,
      end,
      duration: typeof e.duration === 'number' ? e.duration : (end - start) / 1000,
      worker: workerOf(e, tags),
      lane: 0,
      shard: typeof e.shard === 'number' ? e.shard : null,
      unfinished: e.unfinished === true || e.status === 'inprogress',
      outlier: false,
    };
    tests.push(t);
    if (!byId.has(t.id)) byId.set(t.id, t);
  }
  if (bad) warnings.push(`${bad} entries of ${ref.raw?.path ?? 'raw.json'} could not be read and are not shown`);

  let start = Infinity, end = -Infinity, total = 0;
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  for (const t of tests) {
    if (t.start < start) start = t.start;
    if (t.end > end) end = t.end;
    total += t.duration;
    counts[STATUSES[t.status]]++;
  }
  const s0 = parseIso(stats?.start), s1 = parseIso(stats?.end);
  if (!isNaN(s0) && s0 < start) start = s0;
  if (!isNaN(s1) && s1 > end) end = s1;
  if (!tests.length && isNaN(s0)) start = end = Date.now();

  const core = markOutliers(tests) || { start, end };
  const outliers = tests.filter((t) => t.outlier).sort((a, b) => a.start - b.start);
  const lanes = buildLanes(tests, core.start, core.end);
  return {
    ref, tests, byId, lanes, start, end, core, outliers, counts, totalDuration: total,
    failures: buildFailures(tests, byId, stats),
    skips: buildSkips(tests, stats),
    warnings, classic,
  };
}

/** Gap between start times that splits a run into separate groups (see markOutliers). */
export const OUTLIER_GAP_MS = 24 * 3600 * 1000;

/**
 * Flags tests whose timestamps lie far from the run: the start times are split into
 * groups wherever two consecutive ones are more than OUTLIER_GAP_MS apart; the
 * group holding the most tests (the later one on a tie: clocks reset backwards) is
 * the run, and a test starting outside it, or ending more than the gap away from
 * it, is an outlier. Returns the extent of the other tests, or null when there is
 * no outlier. O(n log n), once per run.
 */
export function markOutliers(tests: Test[]): { start: number; end: number } | null {
  if (tests.length < 2) return null;
  const starts = new Float64Array(tests.length);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < tests.length; i++) {
    const t = tests[i];
    starts[i] = t.start;
    if (t.start < lo) lo = t.start;
    if (t.start > hi) hi = t.start;
    if (t.end < lo) lo = t.end;
    if (t.end > hi) hi = t.end;
  }
  // The usual run fits in one gap: no sort needed.
  if (hi - lo <= OUTLIER_GAP_MS) return null;
  starts.sort();
  let best0 = 0, best1 = 0, g0 = 0;
  for (let i = 1; i <= starts.length; i++) {
    if (i === starts.length || starts[i] - starts[i - 1] > OUTLIER_GAP_MS) {
      if (i - g0 >= best1 - best0 + 1) {
        best0 = g0;
        best1 = i - 1;
      }
      g0 = i;
    }
  }
  const c0 = starts[best0], c1 = starts[best1];
  let start = Infinity, end = -Infinity, any = false;
  for (const t of tests) {
    t.outlier = t.start < c0 || t.start > c1 || t.end < c0 - OUTLIER_GAP_MS || t.end > c1 + OUTLIER_GAP_MS;
    if (t.outlier) {
      any = true;
      continue;
    }
    if (t.start < start) start = t.start;
    if (t.end > end) end = t.end;
  }
  return any ? { start, end: Math.max(end, start) } : null;
}

function buildLanes(tests: Test[], runStart: number, runEnd: number): Lane[] {
  const workers = new Map<number | null, Test[]>();
  for (const t of tests) {
    const l = workers.get(t.worker) || [];
    l.push(t);
    workers.set(t.worker, l);
  }
  const keys = [...workers.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
  return keys.map((w, li) => {
    const list = workers.get(w)!.sort((a, b) => a.start - b.start || a.end - b.end);
    const n = list.length;
    const lane: Lane = {
      worker: w, label: w === null ? 'no worker' : `worker ${w}`,
      tests: new Int32Array(n), starts: new Float64Array(n), ends: new Float64Array(n),
      reach: new Float64Array(n), outliers: Int32Array.from(list.filter((t) => t.outlier), (t) => t.idx),
      busy: 0, idle: 0, longestGap: 0, longestGapAt: runStart,
    };
    // Idle time: gaps between consecutive tests, and before the first / after the last.
    // The longest gap is measured between the run's start and the last test.
    let reach = runStart;
    for (let i = 0; i < n; i++) {
      const t = list[i];
      t.lane = li;
      lane.tests[i] = t.idx;
      lane.starts[i] = t.start;
      lane.ends[i] = t.end;
      const before = i ? lane.reach[i - 1] : -Infinity;
      lane.reach[i] = t.outlier ? before : Math.max(t.end, before);
      // Outliers count neither as busy nor as idle: decades of "idle" help nobody.
      if (t.outlier) continue;
      if (t.start > reach) {
        const gap = t.start - reach;
        lane.idle += gap;
        if (gap > lane.longestGap) {
          lane.longestGap = gap;
          lane.longestGapAt = reach;
        }
      }
      if (t.end > reach) {
        lane.busy += t.end - Math.max(reach, t.start);
        reach = t.end;
      }
    }
    // The tail after the worker's last test is idle time, but not a gap: the
    // worker had nothing left to run, which is no delay to look into.
    if (runEnd > reach) lane.idle += runEnd - reach;
    return lane;
  });
}

function messageOf(d: unknown): string[] | null {
  if (Array.isArray(d)) return d.map(String);
  if (typeof d === 'string' && d) return d.split('\n');
  return null;
}

function buildFailures(tests: Test[], byId: Map<string, Test>, stats: Stats | null): Failure[] {
  // Classic stats name failures without an id: only then is a name index built.
  let byNameCache: Map<string, Test> | null = null;
  const byName = () => {
    if (!byNameCache) {
      byNameCache = new Map();
      for (const t of tests) if (!byNameCache.has(t.name)) byNameCache.set(t.name, t);
    }
    return byNameCache;
  };
  const out: Failure[] = [];
  const seen = new Set<number>();
  // Unfinished tests first: they are what a timed-out job needs to show.
  for (const t of tests) {
    if (t.status === INPROGRESS) {
      out.push({ test: t, name: t.name, id: t.id, message: null });
      seen.add(t.idx);
    }
  }
  for (const f of statsTests(stats?.failures)) {
    if (!f || typeof f.name !== 'string') continue;
    const t = (typeof f.id === 'string' && byId.get(f.id)) || byName().get(f.name) || null;
    if (t) seen.add(t.idx);
    out.push({ test: t, name: f.name, id: t ? t.id : typeof f.id === 'string' && f.id ? f.id : f.name, message: messageOf(f.details) });
  }
  for (const t of tests) {
    if ((t.status === FAIL || t.status === UXSUCCESS) && !seen.has(t.idx)) {
      out.push({ test: t, name: t.name, id: t.id, message: null });
    }
  }
  return out;
}

function buildSkips(tests: Test[], stats: Stats | null) {
  if (Array.isArray(stats?.skips)) {
    return statsTests(stats.skips)
      .filter((s) => typeof s.name === 'string')
      .map((s) => ({
        name: s.name as string, id: typeof s.id === 'string' ? s.id : s.name as string,
        reason: typeof s.details === 'string' ? s.details : null,
      }));
  }
  return tests.filter((t) => t.status === SKIP).map((t) => ({ name: t.name, id: t.id, reason: null }));
}

/** Index in a sorted array of the last value <= x, or -1. */
export function lastAtOrBefore(arr: Float64Array, x: number): number {
  let lo = 0, hi = arr.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] <= x) {
      ans = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return ans;
}

/** Index of the first value >= x in a sorted array (length when none). */
export function firstAtOrAfter(arr: Float64Array, x: number): number {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The test of a lane under time t (within tolerance), or null. */
export function testAt(run: Run, lane: Lane, t: number, tolerance: number): Test | null {
  let i = lastAtOrBefore(lane.starts, t + tolerance);
  // Tests on one worker may overlap slightly; look back a few for the one covering t.
  let best: Test | null = null, bestDist = Infinity;
  const consider = (test: Test) => {
    const s = test.start, e = Math.max(test.end, s);
    const dist = t < s ? s - t : t > e ? t - e : 0;
    if (dist <= tolerance && dist < bestDist) {
      best = test;
      bestDist = dist;
    }
  };
  for (let k = 0; i >= 0 && k < 8 && bestDist > 0; k++, i--) consider(run.tests[lane.tests[i]]);
  // An outlier's bar may span far beyond its neighbours in start order.
  for (let j = 0; j < lane.outliers.length && bestDist > 0; j++) consider(run.tests[lane.outliers[j]]);
  return best;
}

export function slowest(run: Run, n: number): Test[] {
  return run.tests.filter((t) => t.status !== INPROGRESS).sort((a, b) => b.duration - a.duration).slice(0, n);
}
