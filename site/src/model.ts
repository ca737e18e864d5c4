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

// The run model: config.json's runs, and a run's tests (the v2 timeline's columns,
// or raw.json of v1 and classic data, both read as TestColumns) + stats.json turned
// into compact per-worker lanes. Test objects are views on the columns: a 500k-test
// run costs one small object per test, and the id map is built when first asked for.
import { STATUSES, Status, TestColumns, UNFINISHED, WORKER_GUESSED, cleanName, rawColumns } from './columns';
import { Artifact, Config, Stats, statsTests } from './format';
import { parseIso } from './iso';

export type { Artifact, Config } from './format';
export { STATUSES } from './columns';
export type { Status, TestColumns } from './columns';
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
  /** v2: the summary's first screen (P-summary.js: stats cut short); null in older output */
  summary: Artifact | null;
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
        summary: find('stackviz-summary'),
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
  /** the exporter gave this unfinished test the lane of a worker that was free (v1 worker_guessed) */
  workerGuessed: boolean;
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
  /** every test's status and outlier flag, by index (the timeline's levels read them) */
  codes?: { status: Uint8Array; outlier: Uint8Array };
}

/** The columns of a run with what the model adds: outliers. */
interface RunColumns extends TestColumns {
  outlier: Uint8Array;
  /** names derived from ids, as they are asked for */
  derived: (string | undefined)[];
}

// A test's own keys are symbols: Object.keys() is empty, so JSON.stringify and the
// browser tests' page.evaluate() take toJSON(), a plain copy of every field.
const COLUMNS = Symbol('columns');
const INDEX = Symbol('index');

/** A test: a view on its run's columns, so that a run costs one small object per test. */
class ColumnTest implements Test {
  private readonly [COLUMNS]: RunColumns;
  private readonly [INDEX]: number;

  constructor(c: RunColumns, idx: number) {
    this[COLUMNS] = c;
    this[INDEX] = idx;
  }
  get idx(): number {
    return this[INDEX];
  }
  get id(): string {
    return this[COLUMNS].ids.get(this[INDEX]);
  }
  get name(): string {
    const c = this[COLUMNS], i = this[INDEX];
    if (c.names) return c.names[i];
    return c.derived[i] ?? (c.derived[i] = cleanName(c.ids.get(i)));
  }
  get status(): number {
    return this[COLUMNS].status[this[INDEX]];
  }
  get tags(): string[] {
    return this[COLUMNS].tagSets[this[COLUMNS].tags[this[INDEX]]];
  }
  get start(): number {
    return this[COLUMNS].start[this[INDEX]];
  }
  get end(): number {
    return this[COLUMNS].end[this[INDEX]];
  }
  get duration(): number {
    return this[COLUMNS].duration[this[INDEX]];
  }
  get worker(): number | null {
    const w = this[COLUMNS].worker[this[INDEX]];
    return isNaN(w) ? null : w;
  }
  get lane(): number {
    return this[COLUMNS].layout.lane[this[INDEX]];
  }
  get shard(): number | null {
    const s = this[COLUMNS].shard[this[INDEX]];
    return s < 0 ? null : s;
  }
  get unfinished(): boolean {
    return (this[COLUMNS].flags[this[INDEX]] & UNFINISHED) !== 0;
  }
  get workerGuessed(): boolean {
    return (this[COLUMNS].flags[this[INDEX]] & WORKER_GUESSED) !== 0;
  }
  get outlier(): boolean {
    return this[COLUMNS].outlier[this[INDEX]] !== 0;
  }
  toJSON(): Test {
    const { idx, id, name, status, tags, start, end, duration, worker, lane, shard, unfinished, workerGuessed, outlier } = this;
    return { idx, id, name, status, tags, start, end, duration, worker, lane, shard, unfinished, workerGuessed, outlier };
  }
}

/** The Run of raw.json (v1 and classic data). */
export function buildRun(ref: RunRef, raw: unknown, stats: Stats | null): Run {
  const path = ref.raw ? ref.raw.path : 'raw.json';
  return runOfColumns(ref, rawColumns(raw, path), stats, path);
}

/** The Run of a run's tests as columns (the v2 timeline, or raw.json read as columns). */
/** ``whole``: when ``stats`` are the summary's first screen, the whole stats once loaded
 *  (undefined until then), which the run's failures and skips come from. */
export function runOfColumns(ref: RunRef, cols: TestColumns, stats: Stats | null, path: string,
                             whole?: () => Stats | null | undefined): Run {
  const warnings: string[] = Array.isArray(stats?.warnings) ? stats.warnings.map(String) : [];
  if (cols.bad) warnings.push(`${cols.bad} entries of ${path} could not be read and are not shown`);
  const n = cols.count;
  const c: RunColumns = { ...cols, outlier: new Uint8Array(n), derived: [] };
  const tests: Test[] = new Array(n);
  for (let i = 0; i < n; i++) tests[i] = new ColumnTest(c, i);

  let start = Infinity, end = -Infinity, total = 0;
  const perStatus = new Float64Array(STATUSES.length);
  for (let i = 0; i < n; i++) {
    if (c.start[i] < start) start = c.start[i];
    if (c.end[i] > end) end = c.end[i];
    total += c.duration[i];
    perStatus[c.status[i]]++;
  }
  const counts = Object.fromEntries(STATUSES.map((s, i) => [s, perStatus[i]])) as Record<Status, number>;
  const s0 = parseIso(stats?.start), s1 = parseIso(stats?.end);
  if (!isNaN(s0) && s0 < start) start = s0;
  if (!isNaN(s1) && s1 > end) end = s1;
  if (!n && isNaN(s0)) start = end = Date.now();

  const marked = markOutliers(c.start, c.end, c.outlier);
  const core = marked || { start, end };
  const outliers: Test[] = [];
  if (marked) for (let i = 0; i < n; i++) if (c.outlier[i]) outliers.push(tests[i]);
  outliers.sort((a, b) => a.start - b.start);
  const lanes = buildLanes(c, core.start, core.end, marked !== null);
  return new LazyRun({
    ref, tests, lanes, start, end, core, outliers, counts, totalDuration: total, warnings,
    classic: cols.classic, codes: { status: c.status, outlier: c.outlier },
  }, stats, whole);
}

type EagerRun = Omit<Run, 'byId' | 'failures' | 'skips'>;

/** A Run whose id map, failures and skips are built when first asked for: the
 * timeline needs none of them to draw. */
class LazyRun implements Run {
  ref!: RunRef;
  tests!: Test[];
  lanes!: Lane[];
  start!: number;
  end!: number;
  core!: { start: number; end: number };
  outliers!: Test[];
  counts!: Record<Status, number>;
  totalDuration!: number;
  warnings!: string[];
  classic!: boolean;
  codes?: { status: Uint8Array; outlier: Uint8Array };
  private made: { byId?: Map<string, Test>; failures?: Failure[]; skips?: Run['skips'] } = {};

  constructor(fields: EagerRun, private readonly stats: Stats | null,
              private readonly whole?: () => Stats | null | undefined) {
    Object.assign(this, fields);
  }

  /** The stats the failures and skips come from; ``final`` false while the whole
   *  stats are awaited (what is built from a first screen is not kept). */
  private listed(): { stats: Stats | null; final: boolean } {
    const got = this.whole ? this.whole() : this.stats;
    return got === undefined ? { stats: this.stats, final: false } : { stats: got, final: true };
  }

  get byId(): Map<string, Test> {
    if (!this.made.byId) {
      const m = new Map<string, Test>();
      for (const t of this.tests) if (!m.has(t.id)) m.set(t.id, t);
      this.made.byId = m;
    }
    return this.made.byId;
  }

  get failures(): Failure[] {
    if (this.made.failures) return this.made.failures;
    const { stats, final } = this.listed();
    const built = buildFailures(this.tests, this.byId, stats);
    if (final) this.made.failures = built;
    return built;
  }

  get skips(): Run['skips'] {
    if (this.made.skips) return this.made.skips;
    const { stats, final } = this.listed();
    const built = buildSkips(this.tests, stats);
    if (final) this.made.skips = built;
    return built;
  }
}

/** Gap between start times that splits a run into separate groups (see markOutliers). */
export const OUTLIER_GAP_MS = 24 * 3600 * 1000;

/**
 * Flags (in ``outlier``) tests whose timestamps lie far from the run: the start times
 * are split into groups wherever two consecutive ones are more than OUTLIER_GAP_MS
 * apart; the group holding the most tests (the later one on a tie: clocks reset
 * backwards) is the run, and a test starting outside it, or ending more than the gap
 * away from it, is an outlier. Returns the extent of the other tests, or null when
 * there is no outlier. O(n log n), once per run.
 */
export function markOutliers(starts: Float64Array, ends: Float64Array, outlier: Uint8Array): { start: number; end: number } | null {
  const n = starts.length;
  if (n < 2) return null;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const s = starts[i], e = ends[i];
    if (s < lo) lo = s;
    if (s > hi) hi = s;
    if (e < lo) lo = e;
    if (e > hi) hi = e;
  }
  // The usual run fits in one gap: no sort needed.
  if (hi - lo <= OUTLIER_GAP_MS) return null;
  const sorted = starts.slice().sort();
  let best0 = 0, best1 = 0, g0 = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || sorted[i] - sorted[i - 1] > OUTLIER_GAP_MS) {
      if (i - g0 >= best1 - best0 + 1) {
        best0 = g0;
        best1 = i - 1;
      }
      g0 = i;
    }
  }
  const c0 = sorted[best0], c1 = sorted[best1];
  let start = Infinity, end = -Infinity, any = false;
  for (let i = 0; i < n; i++) {
    const s = starts[i], e = ends[i];
    const out = s < c0 || s > c1 || e < c0 - OUTLIER_GAP_MS || e > c1 + OUTLIER_GAP_MS;
    outlier[i] = out ? 1 : 0;
    if (out) {
      any = true;
      continue;
    }
    if (s < start) start = s;
    if (e > end) end = e;
  }
  return any ? { start, end: Math.max(end, start) } : null;
}

function buildLanes(c: RunColumns, runStart: number, runEnd: number, anyOutlier: boolean): Lane[] {
  const { workers, order, bounds } = c.layout;
  const start = c.start, end = c.end, outlierOf = c.outlier;
  return Array.from(workers, (w, li) => {
    const tests = order.subarray(bounds[li], bounds[li + 1]);
    const n = tests.length;
    const starts = new Float64Array(n), ends = new Float64Array(n), reaches = new Float64Array(n);
    let busy = 0, idle = 0, longestGap = 0, longestGapAt = runStart;
    // Idle time: gaps between consecutive tests, and before the first / after the last.
    // The longest gap is measured between the run's start and the last test.
    let reach = runStart, before = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = tests[i];
      const s = start[t], e = end[t];
      starts[i] = s;
      ends[i] = e;
      // Outliers count neither as busy nor as idle: decades of "idle" help nobody.
      if (outlierOf[t] !== 0) {
        reaches[i] = before;
        continue;
      }
      reaches[i] = before = e > before ? e : before;
      if (s > reach) {
        const gap = s - reach;
        idle += gap;
        if (gap > longestGap) {
          longestGap = gap;
          longestGapAt = reach;
        }
      }
      if (e > reach) {
        busy += e - (reach > s ? reach : s);
        reach = e;
      }
    }
    // The tail after the worker's last test is idle time, but not a gap: the
    // worker had nothing left to run, which is no delay to look into.
    if (runEnd > reach) idle += runEnd - reach;
    return {
      worker: isNaN(w) ? null : w, label: isNaN(w) ? 'no worker' : `worker ${w}`,
      tests, starts, ends, reach: reaches,
      outliers: anyOutlier ? tests.filter((i) => outlierOf[i] !== 0) : new Int32Array(0),
      busy, idle, longestGap, longestGapAt,
    };
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
