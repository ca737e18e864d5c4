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

// Log level filter. A record starts at a timestamped line; the lines after it
// (tracebacks, wrapped JSON) belong to it and are kept or dropped with it.

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];

const RECORD_START = /^\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d|\d\d:\d\d:\d\d[.,]\d+\s)/;
const LEVEL_WORD = /\b(TRACE|DEBUG|INFO|AUDIT|NOTICE|WARNING|WARN|ERROR|CRITICAL|FATAL)\b/;
const RANK: Record<string, number> = {
  TRACE: 0, DEBUG: 0, INFO: 1, AUDIT: 1, NOTICE: 1, WARNING: 2, WARN: 2, ERROR: 3, CRITICAL: 4, FATAL: 4,
};

export interface LogRecord {
  /** index into LEVELS, or -1 when the record names no level */
  level: number;
  lines: string[];
}

export function splitRecords(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  let cur: LogRecord | null = null;
  for (const line of text.split('\n')) {
    if (RECORD_START.test(line) || cur === null) {
      const m = RECORD_START.test(line) ? LEVEL_WORD.exec(line.slice(0, 120)) : null;
      cur = { level: m ? RANK[m[1]] : -1, lines: [line] };
      out.push(cur);
    } else {
      cur.lines.push(line);
    }
  }
  return out;
}

/** True when the text looks like a log with levels, so a filter makes sense. */
export function hasLevels(records: LogRecord[]): boolean {
  return records.some((r) => r.level >= 0);
}

/** The records at `minLevel` or above, with their continuation lines; unlevelled records stay. */
export function filterLog(records: LogRecord[], minLevel: number): string {
  const parts: string[] = [];
  for (const r of records) {
    if (r.level < 0 || r.level >= minLevel) parts.push(r.lines.join('\n'));
  }
  return parts.join('\n');
}
