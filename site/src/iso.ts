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

// Fast ISO 8601 timestamp parsing: a 100k-test run has 200k timestamps and
// Date.parse is the slowest step of loading, so the day part is cached.

const dayCache = new Map<string, number>();

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Milliseconds since the epoch, or NaN when the text is not a timestamp. */
export function parseIso(s: unknown): number {
  if (typeof s !== 'string' || s.length < 19) return NaN;
  const day = s.slice(0, 10);
  let base = dayCache.get(day);
  if (base === undefined) {
    const y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    if (s[4] !== '-' || s[7] !== '-' || isNaN(y + mo + d)) return Date.parse(s);
    // Date.UTC maps years 0-99 to 1900-1999; the exporter writes years from 0001.
    base = y < 100 ? new Date(0).setUTCFullYear(y, mo - 1, d) : Date.UTC(y, mo - 1, d);
    dayCache.set(day, base);
  }
  const h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
  if (isNaN(h + mi + se)) return Date.parse(s);
  let ms = base + ((h * 60 + mi) * 60 + se) * 1000;
  let i = 19;
  if (s[i] === '.') {
    // The fraction as one integer, divided once: whole milliseconds + microseconds
    // / 1000, exactly what the v2 timeline's columns give (columns.ts, timeFrom).
    let frac = 0, digits = 0;
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (digits < 9) {
        frac = frac * 10 + c;
        digits++;
      }
      i++;
    }
    ms += digits > 3 ? frac / 10 ** (digits - 3) : frac * 10 ** (3 - digits);
  }
  if (i < s.length) {
    const sign = s[i];
    if (sign === '+' || sign === '-') {
      const oh = digits(s, i + 1, 2);
      const om = s[i + 3] === ':' ? digits(s, i + 4, 2) : digits(s, i + 3, 2);
      if (isNaN(oh + om)) return NaN;
      const off = (oh * 60 + om) * 60000;
      ms += sign === '+' ? -off : off;
    } else if (sign !== 'Z' && sign !== 'z') {
      return NaN;
    }
  }
  return ms;
}

export function formatDuration(seconds: number): string {
  if (!isFinite(seconds)) return '-';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
