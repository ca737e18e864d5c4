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

// dstat --output CSV: a preamble, a row of group names (blank to the right within
// a group), a row of column names, then one row per sample. Time is
// "dd-mm HH:MM:SS" without a year (taken from the run), or epoch seconds.

export interface Column {
  key: string;
  group: string;
  name: string;
  values: Float64Array;
}

export interface Dstat {
  node: string;
  times: Float64Array;
  columns: Column[];
}

export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

const DSTAT_TIME = /^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/;

/** ms since epoch of a dstat "dd-mm HH:MM:SS" cell, the year taken near `near` (ms). */
export function parseDstatTime(cell: string, near: number): number {
  const m = DSTAT_TIME.exec(cell.trim());
  if (!m) return NaN;
  const year = new Date(near).getUTCFullYear();
  const at = (y: number) => Date.UTC(y, +m[2] - 1, +m[1], +m[3], +m[4], +m[5]);
  // A run across New Year: pick the year that lands nearest the run.
  let best = at(year);
  for (const y of [year - 1, year + 1]) {
    if (Math.abs(at(y) - near) < Math.abs(best - near)) best = at(y);
  }
  return best;
}

export function parseDstat(text: string, node: string, near: number): Dstat {
  const lines = text.split(/\r?\n/);
  let header = -1;
  for (let i = 0; i < Math.min(lines.length, 50); i++) {
    const cells = splitCsvLine(lines[i]);
    if (cells[0] === 'time' || cells[0] === 'epoch' || (cells.includes('time') && cells.includes('usr'))) {
      header = i;
      break;
    }
  }
  if (header < 1) throw new Error(`dstat log of ${node}: no header row`);
  const groupsRow = splitCsvLine(lines[header - 1]);
  const names = splitCsvLine(lines[header]);
  const groups: string[] = [];
  let g = '';
  for (let i = 0; i < names.length; i++) {
    if (groupsRow[i]) g = groupsRow[i];
    groups.push(g);
  }
  const epochCol = names.indexOf('epoch');
  const timeCol = epochCol >= 0 ? epochCol : names.indexOf('time');
  if (timeCol < 0) throw new Error(`dstat log of ${node}: no time column`);

  const rows: string[][] = [];
  for (let i = header + 1; i < lines.length; i++) {
    if (lines[i].trim()) rows.push(splitCsvLine(lines[i]));
  }
  const times = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const cell = rows[r][timeCol] || '';
    times[r] = epochCol >= 0 ? parseFloat(cell) * 1000 : parseDstatTime(cell, near);
  }
  const columns: Column[] = [];
  const used = new Set<string>();
  for (let c = 0; c < names.length; c++) {
    if (c === timeCol || !names[c] || groups[c] === 'system' || groups[c] === 'epoch') continue;
    const values = new Float64Array(rows.length);
    let numeric = 0, filled = 0;
    for (let r = 0; r < rows.length; r++) {
      const cell = rows[r][c];
      if (cell === undefined || cell === '') {
        values[r] = NaN;
        continue;
      }
      filled++;
      const v = Number(cell);
      values[r] = v;
      if (!isNaN(v)) numeric++;
    }
    // Text columns (--top-cpu-adv: "process / 12") are left out.
    if (filled === 0 || numeric < filled * 0.9) continue;
    let key = `${groups[c]}_${names[c]}`;
    while (used.has(key)) key += "'";
    used.add(key);
    columns.push({ key, group: groups[c], name: names[c], values });
  }
  // Samples whose time could not be read are dropped.
  const keep: number[] = [];
  for (let r = 0; r < rows.length; r++) if (!isNaN(times[r])) keep.push(r);
  if (keep.length !== rows.length) {
    const pick = (a: Float64Array) => Float64Array.from(keep, (r) => a[r]);
    return { node, times: pick(times), columns: columns.map((col) => ({ ...col, values: pick(col.values) })) };
  }
  return { node, times, columns };
}

export interface Preset {
  title: string;
  unit: string;
  series: { label: string; match: RegExp }[];
}

// Group names differ between dstat, dool and pcp-dstat: match loosely.
export const PRESETS: Preset[] = [
  { title: 'CPU', unit: '%', series: [
    { label: 'user', match: /cpu.*_usr$/ }, { label: 'sys', match: /cpu.*_sys$/ },
    { label: 'wait', match: /cpu.*_wai$/ }] },
  { title: 'Memory used', unit: 'B', series: [{ label: 'used', match: /^memory.*_used$/ }] },
  { title: 'Network', unit: 'B/s', series: [
    { label: 'in', match: /^net.*_recv$/ }, { label: 'out', match: /^net.*_send$/ }] },
  { title: 'Disk', unit: 'B/s', series: [
    { label: 'read', match: /^dsk.*_read$/ }, { label: 'write', match: /^dsk.*_writ$/ }] },
];

export function presetColumns(d: Dstat, p: Preset): { label: string; column: Column }[] {
  const out: { label: string; column: Column }[] = [];
  for (const s of p.series) {
    const column = d.columns.find((c) => s.match.test(c.key));
    if (column) out.push({ label: s.label, column });
  }
  return out;
}
