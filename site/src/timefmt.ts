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

// One time notation for the whole page: wall-clock UTC, wall-clock in the
// browser's time zone, or relative to the run's start (without its outliers).
// The summary, details, tooltips and the timeline axis (axis.ts) all format
// through here, so they always agree; the route keeps the choice (?t=utc|local|rel).

export type TimeMode = 'utc' | 'local' | 'rel';
export const TIME_MODES: TimeMode[] = ['utc', 'local', 'rel'];
export const TIME_MODE_LABELS: Record<TimeMode, string> = {
  utc: 'UTC', local: 'local time', rel: 'from run start',
};

let mode: TimeMode = 'utc';
let runStart = 0;

export function parseTimeMode(s: string | null | undefined): TimeMode {
  return s === 'local' || s === 'rel' ? s : 'utc';
}

/** Set by the app from the route (mode) and the run on show (start). */
export function setTimeMode(m: TimeMode, start?: number): void {
  mode = m;
  if (start !== undefined && isFinite(start)) runStart = start;
}

export function timeMode(): TimeMode {
  return mode;
}

const pad = (n: number, w = 2) => String(Math.floor(n)).padStart(w, '0');

/** Offset of the browser's zone at `ms`, in minutes east of UTC. */
function zoneMinutes(ms: number): number {
  return -new Date(ms).getTimezoneOffset();
}

function zoneLabel(ms: number): string {
  const z = zoneMinutes(ms);
  if (!z) return 'UTC';
  const a = Math.abs(z);
  return `UTC${z > 0 ? '+' : '-'}${pad(a / 60)}${a % 60 ? ':' + pad(a % 60) : ''}`;
}

/** Wall-clock fields (in the chosen zone) of ms: [y, mo, d, h, mi, s, ms]. */
function fields(ms: number, local: boolean): number[] {
  const d = new Date(local ? ms + zoneMinutes(ms) * 60000 : ms);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
    d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()];
}

/** "m:ss" / "h:mm:ss" (with fractions of a second when `step` < 1), "-" before a
 *  negative offset; callers put "+" before a positive one. */
export function offsetLabel(s: number, step = 1): string {
  const neg = s < 0;
  s = Math.abs(s);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const digits = step < 0.1 ? 2 : step < 1 ? 1 : 0;
  const sec = digits ? ss.toFixed(digits).padStart(3 + digits, '0') : pad(ss);
  const body = hh ? `${hh}:${pad(mm)}:${sec}` : `${mm}:${sec}`;
  return (neg ? '-' : '') + body;
}

/** An offset from the run's start as shown: "+4:37", "0:00", "-0:05". */
export function formatOffset(s: number, step = 1): string {
  return (s > 0 ? '+' : '') + offsetLabel(s, step);
}

function clock(ms: number, local: boolean, digits: number): string {
  const f = fields(ms, local);
  let s = `${pad(f[3])}:${pad(f[4])}:${pad(f[5])}`;
  if (digits) s += '.' + pad(f[6], 3).slice(0, digits);
  return s;
}

/** A moment in the current notation: "02:51:12 UTC", "04:51:12 UTC+02", "+4:37". */
export function formatAt(ms: number, precise = false): string {
  if (!isFinite(ms)) return '-';
  if (mode === 'rel') return formatOffset((ms - runStart) / 1000, precise ? 0.5 : 1);
  const local = mode === 'local';
  return `${clock(ms, local, precise ? 3 : 0)} ${local ? zoneLabel(ms) : 'UTC'}`;
}

/** A moment with its date (the summary's Date card, details): always wall-clock,
 *  in the chosen zone (UTC when the notation is relative). */
export function formatDate(ms: number): string {
  if (!isFinite(ms)) return '-';
  const local = mode === 'local';
  const f = fields(ms, local);
  return `${f[0]}-${pad(f[1])}-${pad(f[2])} ${clock(ms, local, 0)} ${local ? zoneLabel(ms) : 'UTC'}`;
}

/** The same moment in the other notations, for a title attribute. */
export function formatOthers(ms: number): string {
  const keep = mode;
  const out = TIME_MODES.filter((m) => m !== keep).map((m) => {
    mode = m;
    return formatAt(ms, true);
  });
  mode = keep;
  return out.join(' · ');
}

/** Where wall-clock ticks start counting from: midnight in the shown zone. */
export function wallOrigin(near: number): number {
  return mode === 'local' ? -zoneMinutes(near) * 60000 : 0;
}

/** An axis label in the wall-clock notations: "02:47" for steps of minutes,
 *  "02:46:35" for seconds, "02:46:35.25" below. */
export function wallTick(ms: number, stepSeconds: number): string {
  const local = mode === 'local';
  if (stepSeconds >= 60) return clock(ms, local, 0).slice(0, 5);
  const digits = stepSeconds < 0.01 ? 3 : stepSeconds < 0.1 ? 2 : stepSeconds < 1 ? 1 : 0;
  return clock(ms, local, digits);
}
