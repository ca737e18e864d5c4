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

// A run's tests as columns, one array per field, index = test. Both the v2 timeline
// (P-timeline.js, decoded off the main thread) and raw.json (v1 and classic data) are
// read into this shape, and the run model is built from it only: the same tests give
// the same Run whichever file they came from. No DOM use: it runs in the worker too.
import { parseIso } from './iso';

export const STATUSES = ['success', 'fail', 'skip', 'xfail', 'uxsuccess', 'inprogress'] as const;
export type Status = (typeof STATUSES)[number];
const INPROGRESS_CODE = 5;

// flags: one bit each
export const UNFINISHED = 1;
export const WORKER_GUESSED = 2;

/** The tests' ids: as a list (raw.json), or joined in one string (the timeline:
 * one copy to send between threads, and an id is cut out when first asked for). */
export interface IdList {
  get(i: number): string;
}

export function listIds(ids: string[]): IdList {
  return { get: (i) => ids[i] };
}

/** Ids joined in one string; with a prefix table (the timeline's "prefixed" ids),
 * id i is ``prefixes[prefix[i]]`` followed by its part of ``text``. */
export class JoinedIds implements IdList {
  private cut: (string | undefined)[] = [];
  /** ``ends[i]``: where id i (or its part after the prefix) ends in ``text`` */
  constructor(readonly text: string, readonly ends: Uint32Array,
              readonly prefixes: string[] | null = null, readonly prefix: Int32Array | null = null) {}

  get(i: number): string {
    const got = this.cut[i];
    if (got !== undefined) return got;
    const part = this.text.slice(i ? this.ends[i - 1] : 0, this.ends[i]);
    return (this.cut[i] = this.prefix ? this.prefixes![this.prefix[i]] + part : part);
  }

  static of(ids: string[]): JoinedIds {
    const ends = new Uint32Array(ids.length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) ends[i] = at += ids[i].length;
    return new JoinedIds(ids.join(''), ends);
  }
}

/** The lanes: one per worker (by number, the tests without one last), and each
 * lane's tests by start time. Computed with the columns (in the worker for v2). */
export interface LaneLayout {
  /** worker of each lane; NaN: no worker */
  workers: Float64Array;
  /** lane of each test */
  lane: Int32Array;
  /** test indexes by lane, then start, end and file order: lane l's are order[bounds[l]..bounds[l + 1]] */
  order: Int32Array;
  bounds: Int32Array;
}

export interface TestColumns {
  count: number;
  ids: IdList;
  /** display names; null: derived from the ids (cleanName), as v2 data leaves them out */
  names: string[] | null;
  /** index in STATUSES */
  status: Uint8Array;
  /** NaN: no worker */
  worker: Float64Array;
  /** milliseconds since the epoch */
  start: Float64Array;
  end: Float64Array;
  /** seconds */
  duration: Float64Array;
  tagSets: string[][];
  /** index in tagSets */
  tags: Int32Array;
  /** UNFINISHED | WORKER_GUESSED */
  flags: Uint8Array;
  /** details (v1) or test (v2) shard of each test; -1: none */
  shard: Int32Array;
  /** entries that could not be read and are left out */
  bad: number;
  /** classic data: no ids, a test's id is its name */
  classic: boolean;
  layout: LaneLayout;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The classic exporter's display name of a test id, as model.clean_name derives it
 * (doc/source/data-format.rst): drop the first ``[...]`` and turn
 * ``setUpClass (pkg.mod.Class)`` into ``pkg.mod.Class.setUpClass``. */
export function cleanName(id: string): string {
  const open = id.indexOf('[');
  if (open > 0) {
    const close = id.indexOf(']', open);
    if (close > open) id = id.slice(0, open) + id.slice(close + 1);
  }
  if (id.endsWith(')')) {
    const paren = id.indexOf(' (');
    if (paren > 0 && id.lastIndexOf(' ', paren - 1) < 0) {
      const owner = id.slice(paren + 2, -1);
      if (owner && !owner.includes(' ')) id = `${owner}.${id.slice(0, paren)}`;
    }
  }
  return id;
}

const WORKER_TAG = /^worker-(\d+)$/;

/** The worker a ``worker-N`` tag names, or NaN. */
export function workerOfTags(tags: readonly unknown[]): number {
  for (const t of tags) {
    const m = typeof t === 'string' ? WORKER_TAG.exec(t) : null;
    if (m) return parseInt(m[1], 10);
  }
  return NaN;
}

function statusCode(s: unknown): number {
  const i = STATUSES.indexOf(s as Status);
  return i < 0 ? 0 : i;
}

type Building = Omit<TestColumns, 'ids' | 'layout'> & { ids: string[] };

function allocate(n: number, names: boolean, classic: boolean): Building {
  return {
    count: 0, ids: [], names: names ? [] : null,
    status: new Uint8Array(n), worker: new Float64Array(n),
    start: new Float64Array(n), end: new Float64Array(n), duration: new Float64Array(n),
    tagSets: [], tags: new Int32Array(n), flags: new Uint8Array(n), shard: new Int32Array(n),
    bad: 0, classic,
  };
}

/** Drops the room of left-out entries (a damaged file only). */
function trimmed(c: Building, n: number): Building {
  if (n === c.status.length) return { ...c, count: n };
  return {
    ...c, count: n, status: c.status.slice(0, n), worker: c.worker.slice(0, n),
    start: c.start.slice(0, n), end: c.end.slice(0, n), duration: c.duration.slice(0, n),
    tags: c.tags.slice(0, n), flags: c.flags.slice(0, n), shard: c.shard.slice(0, n),
  };
}

/** Lane numbers of the workers: small ones through an array, others through a map. */
function laneNumbers(worker: Float64Array): { workers: Float64Array; laneOf: (w: number) => number } {
  const DENSE = 4096;
  const dense = new Int32Array(DENSE).fill(-1);
  const other = new Map<number, number>();
  for (let i = 0; i < worker.length; i++) {
    const w = worker[i];
    if (w >= 0 && w < DENSE && w === (w | 0)) dense[w] = 0;
    else if (!other.has(w)) other.set(w, 0);
  }
  const keys: number[] = [];
  for (let w = 0; w < DENSE; w++) if (dense[w] === 0) keys.push(w);
  keys.push(...other.keys());
  keys.sort((a, b) => (isNaN(a) ? 1 : isNaN(b) ? -1 : a - b));
  keys.forEach((w, l) => {
    if (w >= 0 && w < DENSE && w === (w | 0)) dense[w] = l;
    else other.set(w, l);
  });
  return {
    workers: Float64Array.from(keys),
    laneOf: (w) => (w >= 0 && w < DENSE && w === (w | 0) ? dense[w] : other.get(w)!),
  };
}

/**
 * The lanes of a run: a counting sort of the tests by lane, then a sort of each lane
 * that is not in start order already (tests arrive in completion order, which on
 * one worker is start order but for overlaps).
 */
export function layOut(worker: Float64Array, start: Float64Array, end: Float64Array): LaneLayout {
  const n = worker.length;
  const { workers, laneOf } = laneNumbers(worker);
  const lanes = workers.length;
  const lane = new Int32Array(n);
  const bounds = new Int32Array(lanes + 1);
  for (let i = 0; i < n; i++) bounds[(lane[i] = laneOf(worker[i])) + 1]++;
  for (let l = 0; l < lanes; l++) bounds[l + 1] += bounds[l];
  const order = new Int32Array(n);
  const fill = bounds.slice(0, lanes);
  for (let i = 0; i < n; i++) order[fill[lane[i]]++] = i;
  const before = (a: number, b: number) => start[a] - start[b] || end[a] - end[b] || a - b;
  for (let l = 0; l < lanes; l++) {
    const a = bounds[l], b = bounds[l + 1];
    let sorted = true;
    for (let i = a + 1; i < b && sorted; i++) sorted = before(order[i - 1], order[i]) < 0;
    if (!sorted) order.set(Array.from(order.subarray(a, b)).sort(before), a);
  }
  return { workers, lane, order, bounds };
}

function finished(c: Building, n: number, ids: IdList): TestColumns {
  const t = trimmed(c, n);
  return { ...t, ids, layout: layOut(t.worker, t.start, t.end) };
}

/** raw.json (v1 or classic) as columns; entries without a name or any time are left out. */
export function rawColumns(raw: unknown, path: string): TestColumns {
  if (!Array.isArray(raw)) throw new Error(`${path} is not a list of tests`);
  const c = allocate(raw.length, true, true);
  let n = 0;
  for (const e of raw as unknown[]) {
    if (!isRecord(e) || typeof e.name !== 'string') {
      c.bad++;
      continue;
    }
    const ts = Array.isArray(e.timestamps) ? e.timestamps : [];
    let start = parseIso(ts[0]);
    let end = parseIso(ts[1]);
    if (isNaN(start) && isNaN(end)) {
      c.bad++;
      continue;
    }
    if (isNaN(start)) start = end;
    if (isNaN(end)) end = start;
    if (typeof e.id === 'string') c.classic = false;
    const tags = Array.isArray(e.tags) ? (e.tags as string[]) : [];
    c.ids.push(typeof e.id === 'string' ? e.id : e.name);
    c.names!.push(e.name);
    c.status[n] = statusCode(e.status);
    c.worker[n] = typeof e.worker === 'number' ? e.worker : workerOfTags(tags);
    c.start[n] = start;
    c.end[n] = end;
    c.duration[n] = typeof e.duration === 'number' ? e.duration : (end - start) / 1000;
    // raw.json gives each test its own tag list: no need to share them.
    c.tags[n] = c.tagSets.length;
    c.tagSets.push(tags);
    c.flags[n] = (e.unfinished === true || e.status === 'inprogress' ? UNFINISHED : 0) |
      (e.worker_guessed === true ? WORKER_GUESSED : 0);
    c.shard[n] = typeof e.shard === 'number' ? e.shard : -1;
    n++;
  }
  return finished(c, n, listIds(c.ids));
}

function column(v: Record<string, unknown>, key: string, n: number, path: string): unknown[] {
  const a = v[key];
  if (!Array.isArray(a) || a.length !== n) throw new Error(`${path}: "${key}" is not a list of ${n} values`);
  return a;
}

/** Flags the tests a list of indices names (out-of-range ones are ignored). */
function flagList(list: unknown, flags: Uint8Array, bit: number): void {
  if (!Array.isArray(list)) return;
  for (const i of list) if (Number.isInteger(i) && i >= 0 && i < flags.length) flags[i] |= bit;
}

/** The test shard of each test: test i is in shard k when starts[k] <= i < starts[k + 1]. */
function shardsOf(shards: unknown, n: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  const starts = isRecord(shards) && Array.isArray(shards.starts) ? shards.starts : [];
  for (let k = 0; k < starts.length; k++) {
    const a = starts[k], b = k + 1 < starts.length ? starts[k + 1] : n;
    if (!Number.isInteger(a) || !Number.isInteger(b)) continue;
    out.fill(k, Math.max(0, a as number), Math.min(n, b as number));
  }
  return out;
}

/**
 * Milliseconds since the epoch of ``us`` microseconds after ``origin``, computed as
 * parseIso computes them from the same instant's ISO text (whole milliseconds of the
 * second, plus microseconds / 1000): both files give the very same numbers.
 */
function timeFrom(originMs: number): (us: unknown) => number {
  const secMs = Math.floor(originMs / 1000) * 1000;
  const micro = Math.round((originMs - secMs) * 1000);
  return (us) => {
    if (typeof us !== 'number' || !isFinite(us)) return NaN;
    const total = micro + us;
    const sec = Math.floor(total / 1e6);
    return secMs + sec * 1000 + (total - sec * 1e6) / 1000;
  };
}

/** Whole numbers in [0, max): an Int32Array, or null. */
function indexes(a: unknown, n: number, max: number): Int32Array | null {
  if (!Array.isArray(a) || a.length !== n) return null;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !(x >= 0 && x < max) || x !== Math.floor(x)) return null;
    out[i] = x;
  }
  return out;
}

/**
 * The timeline's "prefixed" ids (doc/source/data-format.rst): a prefix table, each
 * test's prefix and the length of the rest of its id (UTF-16 code units), and the
 * rests joined in one string. Nothing is cut out here: an id is made when asked for.
 */
export function prefixedIds(v: Record<string, unknown>, n: number, path: string): JoinedIds {
  const damaged = (what: string) => new Error(`${path}: "ids" is damaged (${what})`);
  const { prefixes, rest } = v;
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string')) throw damaged('prefixes');
  if (typeof rest !== 'string') throw damaged('rest');
  const prefix = indexes(v.prefix, n, prefixes.length);
  if (!prefix) throw damaged('prefix');
  const length = indexes(v.length, n, rest.length + 1);
  if (!length) throw damaged('length');
  const ends = new Uint32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) ends[i] = at += length[i];
  if (at !== rest.length) throw damaged('lengths and rest differ');
  return new JoinedIds(rest, ends, prefixes as string[], prefix);
}

/** The timeline's ids: a list of strings (format 2 as first written) or an encoding. */
function timelineIds(v: Record<string, unknown>, n: number, path: string): unknown[] | JoinedIds {
  const ids = v.ids;
  if (Array.isArray(ids)) return column(v, 'ids', n, path);
  if (!isRecord(ids)) throw new Error(`${path}: "ids" is not a list of ${n} values`);
  if (ids.encoding === 'prefixed') return prefixedIds(ids, n, path);
  throw new Error(`${path}: unknown ids encoding ${JSON.stringify(ids.encoding)}`);
}

/** The v2 timeline (P-timeline.js, see doc/source/data-format.rst) as columns. */
export function timelineColumns(v: unknown, path: string): TestColumns {
  if (!isRecord(v)) throw new Error(`${path} is not a timeline object`);
  const n = v.count;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`${path} has no test count`);
  const read = timelineIds(v, n, path);
  const joined = read instanceof JoinedIds ? read : null;
  const list = joined ? null : (read as unknown[]);
  const idAt = (i: number): unknown => (list ? list[i] : joined!.get(i));
  const status = column(v, 'status', n, path);
  const worker = column(v, 'worker', n, path), tags = column(v, 'tags', n, path);
  const start = column(v, 'start', n, path), end = column(v, 'end', n, path);
  const sets = Array.isArray(v.tag_sets) ? v.tag_sets : [];
  const tagSets = sets.map((s) => (Array.isArray(s) ? s.filter((t): t is string => typeof t === 'string') : []));
  // A test without a worker number may still carry a worker-N tag, as in raw.json.
  const setWorker = tagSets.map(workerOfTags);
  const time = timeFrom(parseIso(v.origin));
  const flags = new Uint8Array(n);
  flagList(v.unfinished, flags, UNFINISHED);
  flagList(v.worker_guessed, flags, WORKER_GUESSED);
  const shard = shardsOf(v.shards, n);
  const c = allocate(n, false, false);
  let j = 0, untagged = false;
  for (let i = 0; i < n; i++) {
    let s = time(start[i]), e = time(end[i]);
    if ((list && typeof list[i] !== 'string') || (isNaN(s) && isNaN(e))) {
      // The kept ids are listed apart from the first one left out on.
      if (!c.bad++) c.ids = Array.from({ length: i }, (_, k) => idAt(k) as string);
      continue;
    }
    const st = status[i];
    const code = typeof st === 'number' && st >= 0 && st < STATUSES.length ? st | 0 : 0;
    const ts = tags[i];
    const set = typeof ts === 'number' && ts >= 0 && ts < tagSets.length ? ts | 0 : -1;
    if (set < 0) untagged = true;
    const w = worker[i];
    const d = isNaN(s) || isNaN(e) ? NaN : ((end[i] as number) - (start[i] as number)) / 1e6;
    if (isNaN(s)) s = e;
    if (isNaN(e)) e = s;
    if (c.bad) c.ids.push(idAt(i) as string);
    c.status[j] = code;
    c.worker[j] = typeof w === 'number' && w >= 0 ? w : set >= 0 ? setWorker[set] : NaN;
    c.start[j] = s;
    c.end[j] = e;
    c.duration[j] = isNaN(d) ? (e - s) / 1000 : d;
    c.tags[j] = set;
    c.flags[j] = flags[i] | (code === INPROGRESS_CODE ? UNFINISHED : 0);
    c.shard[j] = shard[i];
    j++;
  }
  c.tagSets = tagSets;
  if (untagged) {
    // Tests whose tag index is damaged share one empty tag list.
    for (let k = 0; k < j; k++) if (c.tags[k] < 0) c.tags[k] = tagSets.length;
    tagSets.push([]);
  }
  // Nothing left out (the usual case): the file's own ids as they are.
  if (j < n) return finished(c, j, JoinedIds.of(c.ids));
  return finished(c, j, joined ?? JoinedIds.of(list as string[]));
}
