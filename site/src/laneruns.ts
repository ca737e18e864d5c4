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

// A lane's visible tests as runs of pixel columns, what the timeline draws: a
// test covers every column its span overlaps (one at least), a column shows the
// most severe test covering it, so a failure never disappears at any zoom, and
// neighbouring columns that show the same merge into one run. A frame then costs
// a few rects or pixel spans per lane instead of one per test. Zoomed in, where a
// test is a few columns wide, the column where it starts is a seam (drawn lighter),
// so that neighbouring tests of one status still show apart. Time is linear in
// the visible tests plus the width, however the tests overlap, and the buffers
// are kept from one frame to the next.
import { STATUSES, firstAtOrAfter, lastAtOrBefore } from './model';
import type { Lane, Test } from './model';

const N = STATUSES.length;
// Which status wins a column shared by several tests (higher wins): an unfinished
// test is what a timed-out job needs to show, then failures.
const SEVERITY = [1, 4, 0, 2, 3, 5];   // by status code: success, fail, skip, xfail, uxsuccess, inprogress
const BY_SEVERITY = STATUSES.map((_s, code) => code).sort((a, b) => SEVERITY[a] - SEVERITY[b]);
/** Levels 1..LEVELS: faded (not matching the search) below matching, each by severity; 0 is no test. */
export const LEVELS = 2 * N;
/** Added to the level of a run that is a seam: the start of a test at least SEAM_MIN columns wide. */
export const SEAM = 32;
export const SEAM_MIN = 3;
// Tests covering at most this many columns are painted straight into them; wider
// ones are counted as events at their ends, so overlaps cost nothing extra.
const NARROW = 4;

/** The level of a test of this status: a matching test beats any faded one. */
export function levelOf(status: number, faded: boolean): number {
  return 1 + SEVERITY[status] + (faded ? 0 : N);
}

/** The status code a level is drawn with. */
export function levelStatus(level: number): number {
  return BY_SEVERITY[(level - 1) % N];
}

export function levelFaded(level: number): boolean {
  return level <= N;
}

export type RunLane = Pick<Lane, 'tests' | 'starts' | 'ends' | 'reach' | 'outliers'>;
export type RunTest = Pick<Test, 'idx' | 'status' | 'start' | 'end' | 'outlier'>;

/** A run's status and outlier flag of every test, by test index (the run's columns). */
export interface LevelCodes {
  status: Uint8Array;
  outlier: Uint8Array;
}

/** Level of each test of a lane, in the lane's order; 0 for outliers (drawn on their own).
 * ``codes``: the same from the run's columns, read without a Test object per test. */
export function laneLevels(lane: RunLane, tests: readonly RunTest[], match: Uint8Array | null,
  codes: LevelCodes | null = null): Uint8Array {
  const out = new Uint8Array(lane.tests.length);
  if (codes) {
    const { status, outlier } = codes;
    for (let i = 0; i < out.length; i++) {
      const t = lane.tests[i];
      out[i] = outlier[t] ? 0 : levelOf(status[t], match !== null && !match[t]);
    }
    return out;
  }
  for (let i = 0; i < out.length; i++) {
    const t = tests[lane.tests[i]];
    out[i] = t.outlier ? 0 : levelOf(t.status, match !== null && !match[t.idx]);
  }
  return out;
}

/**
 * Every lane's levels, kept between frames: they change only with the search
 * (a new match array, or none), not with zoom, pan or size.
 */
export class LevelCache {
  private match: Uint8Array | null | undefined = undefined;
  private levels: (Uint8Array | undefined)[] = [];
  /** How many lanes had their levels computed (the tests check what a frame recomputes). */
  computed = 0;

  constructor(private lanes: readonly RunLane[], private tests: readonly RunTest[],
    private codes: LevelCodes | null = null) {}

  get(lane: number, match: Uint8Array | null): Uint8Array {
    if (match !== this.match) {
      this.match = match;
      this.levels = [];
    }
    let l = this.levels[lane];
    if (!l) {
      l = this.levels[lane] = laneLevels(this.lanes[lane], this.tests, match, this.codes);
      this.computed++;
    }
    return l;
  }
}

export class LaneRuns {
  /** The runs of the last build: x0, x1 (exclusive) and level of each (plus SEAM for a seam), by x. */
  runs = new Int32Array(0);
  count = 0;
  private width = -1;
  // Per column and level: tests starting there (+1) and ending there (-1); per
  // column, a bit per level that has any.
  private delta = new Int32Array(0);
  private touched = new Uint16Array(0);
  private active = new Int32Array(LEVELS);
  /** Per column, the highest level of the wide tests starting there (0: none). */
  private seams = new Uint8Array(0);
  /** Per column, the highest level of the narrow tests covering it, painted directly. */
  private narrow = new Uint8Array(0);

  /**
   * Runs of a lane over columns 0..width-1, column x showing the times from
   * t0 + x / k to t0 + (x + 1) / k. `levels`: the lane's laneLevels; `match`
   * (tests the search keeps, null: all) fades its outliers. Returns the number of runs.
   */
  build(lane: RunLane, levels: Uint8Array, tests: readonly RunTest[], match: Uint8Array | null,
    t0: number, k: number, width: number): number {
    width = Math.max(0, Math.floor(width));
    this.size(width);
    const tEnd = t0 + width / k;
    // reach: the first test still running at t0, even after a long one.
    const first = firstAtOrAfter(lane.reach, t0);
    const last = lastAtOrBefore(lane.starts, tEnd);
    const starts = lane.starts, ends = lane.ends;
    for (let i = first; i <= last; i++) {
      if (levels[i]) this.add((starts[i] - t0) * k, (ends[i] - t0) * k, levels[i], width);
    }
    // Outliers are out of the reach index (their ends would make every test after
    // them look visible): each is added on its own.
    for (let j = 0; j < lane.outliers.length; j++) {
      const t = tests[lane.outliers[j]];
      if (t.end < t0 || t.start > tEnd) continue;
      this.add((t.start - t0) * k, (Math.max(t.end, t.start) - t0) * k,
        levelOf(t.status, match !== null && !match[t.idx]), width);
    }
    return this.sweep(width);
  }

  private size(width: number): void {
    if (width === this.width) return;
    this.width = width;
    this.delta = new Int32Array((width + 1) * LEVELS);
    this.touched = new Uint16Array(width + 1);
    this.seams = new Uint8Array(width + 1);
    this.narrow = new Uint8Array(width + 1);
    this.runs = new Int32Array(3 * width);
  }

  /** One test from x0 to x1 (fractional columns): the columns it overlaps, one at least. */
  private add(x0: number, x1: number, level: number, width: number): void {
    if (!(x1 >= 0 && x0 < width)) return;
    const a = Math.max(0, Math.floor(x0));
    const b = Math.min(width, Math.max(Math.floor(x0) + 1, Math.ceil(x1)));
    if (b <= a) return;
    if (b - a <= NARROW) {
      // Most tests cover a column or two: painted at once, cheaper than two events.
      const narrow = this.narrow;
      for (let x = a; x < b; x++) if (level > narrow[x]) narrow[x] = level;
    } else {
      const bit = 1 << (level - 1);
      this.delta[a * LEVELS + level - 1]++;
      this.delta[b * LEVELS + level - 1]--;
      this.touched[a] |= bit;
      this.touched[b] |= bit;
    }
    if (x1 - x0 >= SEAM_MIN && x0 >= 0 && level > this.seams[a]) this.seams[a] = level;
  }

  /** Walk the columns once, keeping the count of tests under way per level. */
  private sweep(width: number): number {
    const d = this.delta, touched = this.touched, active = this.active, runs = this.runs, seams = this.seams;
    const narrow = this.narrow;
    active.fill(0);
    let top = 0, runLevel = 0, runStart = 0, n = 0;
    for (let x = 0; x <= width; x++) {
      let bits = touched[x];
      if (bits) {
        touched[x] = 0;
        let rescan = false;
        while (bits) {
          const l = 31 - Math.clz32(bits);   // highest level first
          bits ^= 1 << l;
          const at = x * LEVELS + l;
          active[l] += d[at];
          d[at] = 0;
          if (active[l] > 0) {
            if (l >= top) top = l + 1;
          } else if (l === top - 1) {
            rescan = true;
          }
        }
        if (rescan) while (top > 0 && active[top - 1] <= 0) top--;
      }
      let level = x < width ? top : 0;
      if (narrow[x]) {
        if (narrow[x] > level) level = narrow[x];
        narrow[x] = 0;
      }
      if (seams[x]) {
        // A seam only where the wide test is what the column shows: never over a failure.
        if (seams[x] === level) level |= SEAM;
        seams[x] = 0;
      }
      if (level !== runLevel) {
        if (runLevel) {
          runs[n++] = runStart;
          runs[n++] = x;
          runs[n++] = runLevel;
        }
        runLevel = level;
        runStart = x;
      }
    }
    this.count = n / 3;
    return this.count;
  }
}
