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

// Time axis ticks for the timeline: a step chosen from the visible span and the
// pixel width, so a view of a thousand years draws as few ticks as one of a minute.
// Near the run, labels follow the page's time notation (timefmt.ts).
import { formatOffset, offsetLabel, timeMode, wallOrigin, wallTick } from './timefmt';

export { offsetLabel };

const DAY = 86400;
const YEAR = 365 * DAY;
// Seconds: sub-second, clock-friendly minutes and hours, then days.
const STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300,
  600, 900, 1800, 3600, 7200, 10800, 21600, 43200, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY,
  182 * DAY];
/** Never more ticks than this, whatever the arguments (a guard, not the usual count). */
export const MAX_TICKS = 200;

export interface Tick {
  t: number;
  label: string;
}

/** Seconds between ticks: the smallest step at least `minPx` pixels wide. */
export function tickStep(spanMs: number, plotWidth: number, minPx = 90): number {
  const want = ((spanMs / 1000) * minPx) / Math.max(1, plotWidth);
  for (const s of STEPS) if (s >= want) return s;
  const years = want / YEAR;
  const p = Math.pow(10, Math.floor(Math.log10(years)));
  for (const m of [1, 2, 5, 10]) if (m * p >= years) return m * p * YEAR;
  return 10 * p * YEAR;
}

function iso(ms: number): string {
  // toISOString writes years outside 0..9999 as +/-YYYYYY, and throws outside Date's range.
  const d = new Date(ms);
  return isNaN(d.getTime()) ? '?' : d.toISOString();
}

/**
 * Ticks between t0 and t1 (ms). Near the run (within a day of `origin`..`end`) and
 * below a day per tick, labels are in the page's notation: offsets from origin
 * ("+12:30") or wall-clock times ("02:59", UTC or local); far from it they are UTC
 * times, the first one with its date; steps of days and more are dated.
 */
export function axisTicks(t0: number, t1: number, origin: number, end: number, plotWidth: number): Tick[] {
  const out: Tick[] = [];
  if (!(t1 > t0) || !isFinite(t0) || !isFinite(t1)) return out;
  const step = tickStep(t1 - t0, plotWidth);
  const stepMs = step * 1000;
  if (step >= YEAR) {
    // Calendar years, so a label "1970" sits on 1970-01-01.
    const years = Math.round(step / YEAR);
    const y0 = Math.ceil(new Date(t0).getUTCFullYear() / years) * years;
    for (let k = 0; out.length < MAX_TICKS; k++) {
      const d = new Date(0);
      d.setUTCFullYear(y0 + k * years, 0, 1);
      const t = d.getTime();
      if (t > t1) break;
      if (t >= t0) out.push({ t, label: iso(t).slice(0, iso(t).indexOf('-', 1)) });
    }
    return out;
  }
  if (step >= DAY) {
    const first = Math.ceil(t0 / stepMs) * stepMs;
    for (let k = 0; out.length < MAX_TICKS; k++) {
      const t = first + k * stepMs;
      if (t > t1) break;
      out.push({ t, label: iso(t).slice(0, iso(t).indexOf('T')) });
    }
    return out;
  }
  const near = t1 >= origin - DAY * 1000 && t0 <= end + DAY * 1000;
  const rel = timeMode() === 'rel';
  // Relative ticks count from the run's start; wall-clock ones sit on round times of the zone.
  const base = near ? (rel ? origin : wallOrigin(origin)) : 0;
  const first = Math.ceil((t0 - base) / stepMs);
  for (let k = 0; out.length < MAX_TICKS; k++) {
    const s = (first + k) * step;
    const t = base + s * 1000;
    if (t > t1) break;
    let label: string;
    if (near && rel) {
      label = formatOffset(s, step);
    } else if (near) {
      label = wallTick(t, step);
    } else {
      const text = iso(t);
      const at = text.indexOf('T');
      const clock = text.slice(at + 1, step < 1 ? -1 : at + 9);
      label = k === 0 ? `${text.slice(0, at)} ${clock}` : clock;
    }
    out.push({ t, label });
  }
  return out;
}
