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

// A test's service log lines (see data-format.rst, "Service logs"): the index says
// which tests have lines and how many errors; a test's lines come from a shard,
// loaded when its tab is opened. Log text is untrusted: text nodes only.
import { h } from './dom';
import { parseIso } from './iso';
import { formatAt, formatOthers } from './timefmt';

export interface ServiceFile {
  path: string;
  href: string;
  service: string;
}

/** [file index, line number, ISO time or null, level or null, text] */
export type ServiceRecord = [number, number, string | null, string | null, string];

export interface ServiceLines {
  records: ServiceRecord[];
  cut: number;
}

export interface ServiceTimeline {
  start: number;
  step: number;
  counts: Map<number, number[]>;
}

export interface ServiceIndex {
  files: ServiceFile[];
  /** test id -> [shard, records, errors, cut] */
  tests: Map<string, [number, number, number, number]>;
  cut: number;
  notes: string[];
  timeline: ServiceTimeline | null;
}

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : d);
const num = (v: unknown): number => (typeof v === 'number' && isFinite(v) ? v : 0);

/** The index file, checked field by field: a damaged one gives what is readable. */
export function readServiceIndex(value: unknown): ServiceIndex {
  if (!value || typeof value !== 'object') throw new Error('the service log index is not an object');
  const json = value as Record<string, unknown>;
  const files = (Array.isArray(json.files) ? json.files : []).map((f: unknown) => {
    const o = (f && typeof f === 'object' ? f : {}) as Record<string, unknown>;
    // A link is relative to the page; anything with a scheme (javascript:) is dropped.
    const href = str(o.href);
    return { path: str(o.path), href: /^[a-z][a-z0-9+.-]*:/i.test(href) ? '' : href, service: str(o.service, str(o.path)) };
  });
  const tests = new Map<string, [number, number, number, number]>();
  if (json.tests && typeof json.tests === 'object') {
    for (const [id, v] of Object.entries(json.tests)) {
      if (Array.isArray(v)) tests.set(id, [num(v[0]), num(v[1]), num(v[2]), num(v[3])]);
    }
  }
  let timeline: ServiceTimeline | null = null;
  const t = (json.timeline && typeof json.timeline === 'object' ? json.timeline : {}) as Record<string, unknown>;
  if (typeof t.start === 'string' && num(t.step) > 0) {
    const counts = new Map<number, number[]>();
    for (const [k, v] of Object.entries(t.counts && typeof t.counts === 'object' ? t.counts : {})) {
      if (Array.isArray(v)) counts.set(Number(k), v.map(num));
    }
    timeline = { start: parseIso(t.start), step: num(t.step), counts };
  }
  return {
    files, tests, cut: num(json.cut), timeline,
    notes: Array.isArray(json.notes) ? json.notes.map(String) : [],
  };
}

/** A test's entry of a shard, checked: records with the wrong shape are dropped. */
export function readServiceLines(value: unknown): ServiceLines | null {
  const entry = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  if (!Array.isArray(entry.records)) return null;
  const records = entry.records.filter((r: unknown) => Array.isArray(r) && r.length >= 5
    && typeof r[0] === 'number' && typeof r[1] === 'number' && typeof r[4] === 'string') as ServiceRecord[];
  return { records, cut: num(entry.cut) };
}

/** What the "Service logs" tab shows: the index, and this test's lines (or none). */
export interface ServiceView {
  index: ServiceIndex;
  lines: ServiceLines | null;
}

/** A "N service errors" badge beside each test of the summary that has any, now and
 * in the rows a group adds when it opens later. */
export function addErrorBadges(root: HTMLElement, index: ServiceIndex): void {
  const decorate = () => {
    for (const row of Array.from(root.querySelectorAll<HTMLElement>('[data-test]'))) {
      const entry = index.tests.get(row.dataset.test || '');
      const name = row.querySelector('a.fname');
      if (!entry || !entry[2] || !name || row.querySelector('.svc-errors')) continue;
      const badge = h('span', { cls: 'badge svc-errors', title: 'ERROR and CRITICAL service log records of its requests, or logged while it ran' },
        errorsLabel(entry[2]));
      name.after(' ', badge);
    }
  };
  decorate();
  new MutationObserver(decorate).observe(root, { childList: true, subtree: true });
}

export function errorsLabel(n: number): string {
  return `${n} service error${n === 1 ? '' : 's'}`;
}

const LEVEL_CLASSES: Record<string, string> = {
  CRITICAL: 'lvl-error', ERROR: 'lvl-error', TRACE: 'lvl-error', WARNING: 'lvl-warning',
  INFO: 'lvl-info', DEBUG: 'lvl-debug',
};

/** A log line's time as the logs write it, milliseconds kept: 02:46:35.626. */
export function clockTime(iso: string | null): string {
  const t = when(iso);
  return isFinite(t) ? new Date(t).toISOString().slice(11, 23) : '';
}

function when(iso: string | null): number {
  const t = iso === null ? NaN : parseIso(iso);
  return isNaN(t) ? Infinity : t;
}

/** The lines grouped by file (services in file order), each group in time order. */
export function groupByFile(index: ServiceIndex, lines: ServiceLines): [ServiceFile | null, ServiceRecord[]][] {
  const groups = new Map<number, ServiceRecord[]>();
  for (const r of lines.records) {
    const g = groups.get(r[0]) || [];
    g.push(r);
    groups.set(r[0], g);
  }
  return [...groups.keys()].sort((a, b) => a - b).map((k) => {
    const recs = groups.get(k)!.slice().sort((a, b) => when(a[2]) - when(b[2]) || a[1] - b[1]);
    return [index.files[k] || null, recs];
  });
}

/** The "Service logs" tab's content for one test. */
export function renderServiceLogs(index: ServiceIndex, lines: ServiceLines | null): HTMLElement {
  const el = h('div', { cls: 'service-logs' });
  if (!lines || !lines.records.length) {
    el.append(h('p', { cls: 'muted none' }, 'No service log line names this test\'s requests.'));
    return el;
  }
  const isError = (r: ServiceRecord) => LEVEL_CLASSES[r[3] || ''] === 'lvl-error';
  // Files with errors first: for a failed test, that is where to look.
  const groups = groupByFile(index, lines);
  groups.sort((a, b) => Number(b[1].some(isError)) - Number(a[1].some(isError)));
  for (const [file, recs] of groups) {
    const name = file ? file.service : 'unknown file';
    const errors = recs.filter(isError).length;
    const head = h('h4', { cls: 'svc-file' }, name, ' ',
      file && file.href ? h('a', { href: file.href, title: `open ${file.path}` }, file.path) : file ? file.path : '',
      h('span', { cls: 'muted' }, ` · ${recs.length} record${recs.length === 1 ? '' : 's'}`),
      errors ? h('span', { cls: 'badge st-fail' }, errorsLabel(errors).replace('service ', '')) : '');
    const list = h('div', { cls: 'svc-records', data: { service: name } });
    for (const r of recs) {
      const level = r[3] || '';
      const loc = file && file.href
        ? h('a', { cls: 'svc-loc', href: file.href, title: `${file.path}, line ${r[1]}` }, `line ${r[1]}`)
        : h('span', { cls: 'svc-loc' }, `line ${r[1]}`);
      const pre = h('pre', { cls: 'svc-text' });
      pre.textContent = r[4];
      list.append(h('div', { cls: `svc-rec ${LEVEL_CLASSES[level] || 'lvl-other'}`, data: { level } },
        // The page's time notation (UTC, local or from the run's start), to the ms.
        h('div', { cls: 'svc-meta' }, loc, r[2] ? ' · ' : '',
          r[2] ? h('span', { cls: 'time', title: formatOthers(when(r[2])) }, formatAt(when(r[2]), true)) : '',
          level ? ` · ${level}` : ''),
        pre));
    }
    el.append(h('section', { cls: 'svc-group' }, head, list));
  }
  if (lines.cut) {
    el.append(h('p', { cls: 'muted svc-cut' },
      `${lines.cut} more record${lines.cut === 1 ? '' : 's'} not kept (the publisher's cap per test).`));
  }
  return el;
}
