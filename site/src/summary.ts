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

// The summary: counts, then what went wrong, grouped (unfinished tests, failures
// by cause, largest group first), with a filter and status toggles; then the
// slowest tests, the workers and the skips grouped by reason. It stays compact:
// a group's tests are built only when it is opened.
import { h, clear, plural } from './dom';
import { Stats, statsCounts, statsTests } from './format';
import { formatDuration, parseIso } from './iso';
import { OUTLIER_GAP_MS, Run, slowest } from './model';
import { formatAt, formatDate, formatOthers, setTimeMode, timeMode } from './timefmt';
import { Group, GroupKind, Triage, fixtureClass, matchGroup, readTriage } from './triage';

const ROWS_SHOWN = 50;
const MESSAGE_LINES = 3;
const SKIP_GROUPS_SHOWN = 5;

export interface SummaryLinks {
  test(id: string): string;
  timeline(id: string | null): string;
}

export interface SummaryFilter {
  q: string;
  hide: string[];
  /** called when the user changes the filter (the app keeps it in the URL) */
  onChange(q: string, hide: string[]): void;
}

const KIND_LABEL: Record<GroupKind, string> = { inprogress: 'unfinished', fail: 'failed', skip: 'skipped' };

/** What the summary shows of one test of a group: from the run, or from the stats'
 *  lists (v2 stats give each listed test's worker and start). */
interface TestFacts {
  worker: number | null;
  start: number;
  duration: number;
}
type FactsOf = (id: string) => TestFacts | null;

const laneLabel = (w: number | null) => (w === null ? 'no worker' : `worker ${w}`);

function runFacts(run: Run): FactsOf {
  return (id) => {
    const t = run.byId.get(id);
    return t ? { worker: run.lanes[t.lane].worker, start: t.start, duration: t.duration } : null;
  };
}

function statsFacts(stats: Stats): FactsOf | null {
  const by = new Map<string, TestFacts>();
  // An unfinished test ran to the run's end (as the timeline draws it).
  const end = parseIso(stats.end);
  for (const list of [stats.failures, stats.skips, stats.inprogress]) {
    for (const t of statsTests(list)) {
      const start = parseIso(t.start);
      if (typeof t.id !== 'string' || isNaN(start)) continue;
      by.set(t.id, {
        worker: typeof t.worker === 'number' ? t.worker : null, start,
        duration: typeof t.duration === 'number' ? t.duration : list === stats.inprogress ? (end - start) / 1000 : NaN,
      });
    }
  }
  return by.size ? (id) => by.get(id) || null : null;
}

/** The workers table and the slowest tests. */
interface Figures {
  lanes: { label: string; tests: number; busy: number; idle: number; gap: number; gapAt: number }[];
  lanesNotListed: number;
  slowest: { id: string; name: string; duration: number; label: string }[];
}

const num = (v: unknown) => (typeof v === 'number' && isFinite(v) ? v : 0);

/** The figures the exporter put in the stats (v2 ``worker_lanes``, ``slowest``), or null. */
export function statsFigures(stats: Stats | null): Figures | null {
  if (!stats || !Array.isArray(stats.worker_lanes) || !Array.isArray(stats.slowest)) return null;
  const start = parseIso(stats.start), end = parseIso(stats.end);
  const wall = Math.max(1e-3, typeof stats.wall_time === 'number' ? stats.wall_time : (end - start) / 1000);
  const worker = (w: unknown) => (typeof w === 'number' ? w : null);
  return {
    lanes: statsTests(stats.worker_lanes).map((l) => ({
      label: laneLabel(worker(l.worker)), tests: num(l.tests), busy: num(l.busy) / wall,
      idle: num(l.idle), gap: num(l.longest_gap), gapAt: parseIso(l.longest_gap_at),
    })),
    lanesNotListed: num(stats.worker_lanes_not_listed),
    slowest: statsTests(stats.slowest).filter((t) => typeof t.id === 'string').map((t) => ({
      id: t.id as string, name: typeof t.name === 'string' ? t.name : t.id as string,
      duration: num(t.duration), label: laneLabel(worker(t.worker)),
    })),
  };
}

/** Can the summary be shown from these stats alone? They must carry the figures, and
 *  the run must be short enough to have no outliers (timestamps a day or more away
 *  from the rest: the summary then dates the run by its tests, see model.ts). */
export function statsSuffice(stats: Stats | null): boolean {
  if (!stats || !statsFigures(stats)) return false;
  const wall = typeof stats.wall_time === 'number' ? stats.wall_time : (parseIso(stats.end) - parseIso(stats.start)) / 1000;
  return wall * 1000 <= OUTLIER_GAP_MS;
}

function runFigures(run: Run): Figures {
  const wall = Math.max(1, run.end - run.start);
  return {
    lanes: run.lanes.map((l) => ({
      label: l.label, tests: l.tests.length, busy: l.busy / wall, idle: l.idle / 1000,
      gap: l.longestGap / 1000, gapAt: l.longestGapAt,
    })),
    lanesNotListed: 0,
    slowest: slowest(run, 10).map((t) => ({ id: t.id, name: t.name, duration: t.duration, label: run.lanes[t.lane].label })),
  };
}

/** Summary from the stats alone, shown before the run's tests arrive; with the v2
 *  figures (workers, slowest tests) it is the whole summary and the tests are not
 *  needed. ``later``: how to defer building the tables below the fold. */
export function quickSummary(stats: Stats | null, links: SummaryLinks, filter: SummaryFilter,
  later: ((build: () => void) => void) | null = null): HTMLElement | null {
  const counts = statsCounts(stats?.counts);
  if (!stats || !counts) return null;
  const start = parseIso(stats.start), end = parseIso(stats.end);
  setTimeMode(timeMode(), start);
  const el = h('section', { cls: 'summary' },
    cards(start, typeof stats.wall_time === 'number' ? stats.wall_time : (end - start) / 1000,
      // Unfinished tests are tests: the CLI counts them the same way.
      Number(stats.count || 0) + Number(counts.inprogress || 0), counts,
      Array.isArray(stats.workers) ? stats.workers.length : null, stats.total_duration));
  warnings(el, Array.isArray(stats.warnings) ? stats.warnings.map(String) : []);
  el.append(groupsSection(readTriage(stats, null), statsFacts(stats), links, filter));
  if (statsSuffice(stats)) {
    // ``later``: the tables below the fold come after the first frame (boot.js).
    const side = () => sideBySide(statsFigures(stats)!, links);
    if (later) {
      const spot = h('div');
      el.append(spot);
      later(() => spot.replaceWith(side()));
    } else {
      el.append(side());
    }
  }
  else el.append(h('p', { cls: 'muted loading' }, 'Loading the tests…'));
  return el;
}

export function fullSummary(run: Run, stats: Stats | null, links: SummaryLinks, filter: SummaryFilter): HTMLElement {
  setTimeMode(timeMode(), run.core.start);
  const workers = run.lanes.filter((l) => l.worker !== null).length;
  // Date and wall time of the run without its outliers (a clock reset to 1970 is not
  // when the run happened); the timeline's note names them.
  const el = h('section', { cls: 'summary' },
    cards(run.core.start, (run.core.end - run.core.start) / 1000, run.tests.length, run.counts, workers, run.totalDuration));
  const n = run.outliers.length;
  warnings(el, n ? run.warnings.concat(`${plural(n, 'test')} with timestamps far outside the run ` +
    `(e.g. ${formatDate(run.outliers[0].start)}) left out of the date and wall time`) : run.warnings);
  el.append(groupsSection(readTriage(stats, run), runFacts(run), links, filter));
  el.append(sideBySide(runFigures(run), links));
  return el;
}

function sideBySide(fig: Figures, links: SummaryLinks): HTMLElement {
  const side = h('div', { cls: 'side-by-side' });
  if (fig.slowest.length) {
    side.append(h('div', null, h('h3', null, 'Slowest tests'), h('table', { cls: 'slowest' },
      ...fig.slowest.map((t) => h('tr', null,
        h('td', { cls: 'num' }, formatDuration(t.duration)),
        h('td', null, h('a', { href: links.test(t.id) }, t.name)),
        h('td', null, h('a', { href: links.timeline(t.id), title: 'show on the timeline' }, t.label)))))));
  }
  side.append(h('div', null, h('h3', null, 'Workers'), workersTable(fig),
    fig.lanesNotListed ? h('p', { cls: 'muted' }, `and ${plural(fig.lanesNotListed, 'more worker')}, not listed by the export`) : null));
  return side;
}

function workersTable(fig: Figures): HTMLElement {
  return h('table', { cls: 'workers' },
    h('tr', null, h('th', null, 'worker'), h('th', null, 'tests'), h('th', null, 'busy'),
      h('th', null, 'idle'), h('th', null, 'longest idle gap')),
    ...fig.lanes.map((l) => h('tr', null,
      h('td', null, l.label), h('td', { cls: 'num' }, String(l.tests)),
      h('td', { cls: 'num' }, `${Math.round(l.busy * 100)}%`),
      h('td', { cls: 'num' }, formatDuration(l.idle)),
      h('td', { cls: 'num', title: 'between two tests of this worker' },
        l.gap > 0 ? `${formatDuration(l.gap)} at ${formatAt(l.gapAt)}` : '-'))));
}

function groupsSection(tri: Triage, facts: FactsOf | null, links: SummaryLinks, filter: SummaryFilter): HTMLElement {
  const box = h('div', { cls: 'triage' });
  const bad = tri.groups.filter((g) => g.kind !== 'skip');
  const skips = tri.groups.filter((g) => g.kind === 'skip');
  const present = (['fail', 'inprogress', 'skip'] as GroupKind[]).filter((k) => tri.groups.some((g) => g.kind === k));
  const search = h('input', { type: 'search', cls: 'summary-filter', value: filter.q });
  search.placeholder = 'filter: test name, exception, reason';
  const toggles = new Map<GroupKind, HTMLInputElement>();
  const bar = h('div', { cls: 'searchbar' }, search);
  for (const k of present) {
    const box = h('input', { type: 'checkbox', cls: `toggle toggle-${k}` });
    box.checked = !filter.hide.includes(k);
    toggles.set(k, box);
    bar.append(h('label', { cls: 'status-toggle' }, box, h('span', { cls: `badge st-${k}` }, KIND_LABEL[k])));
  }
  const count = h('span', { cls: 'count muted' });
  bar.append(count);
  const failList = h('div', { cls: 'groups failure-groups' });
  const skipList = h('div', { cls: 'groups skip-groups' });
  const badTotal = bad.reduce((n, g) => n + g.count, 0);
  const heading = h('h3', null, bad.length
    ? `What went wrong: ${plural(badTotal, 'test')} in ${plural(bad.length, 'group')}`
    : 'What went wrong');
  if (present.length) box.append(bar);
  box.append(heading, failList);
  if (!bad.length) failList.append(h('p', { cls: 'all-good' }, 'No test failed.'));
  if (tri.notListed.groups) {
    box.append(h('p', { cls: 'muted' }, `and ${plural(tri.notListed.tests, 'more failure')} in ` +
      `${plural(tri.notListed.groups, 'smaller group')}, not listed by the export`));
  }
  const skipTotal = skips.reduce((n, g) => n + g.count, 0);
  if (skips.length) box.append(h('h3', null, `Skipped: ${plural(skipTotal, 'test')}, ${plural(skips.length, 'reason')}`), skipList);
  const apply = () => {
    const q = search.value.trim().toLowerCase();
    const hide = [...toggles].filter(([, b]) => !b.checked).map(([k]) => k);
    let shown = 0, groupsShown = 0, skipGroups = 0;
    clear(failList);
    clear(skipList);
    const moreSkips: (() => HTMLElement)[] = [];
    for (const g of tri.groups) {
      if (hide.includes(g.kind)) continue;
      const ids = matchGroup(g, q, tri.names);
      if (!ids) continue;
      groupsShown++;
      shown += ids === g.ids ? g.count : ids.length;
      // A filter that leaves a few tests of a group shows them.
      const view = () => groupView(g, ids, tri, facts, links, q !== '' && ids.length <= 20);
      if (g.kind !== 'skip') failList.append(view());
      // Skips matter less than failures: the largest reasons, the rest built on demand.
      else if (skipGroups++ < SKIP_GROUPS_SHOWN) skipList.append(view());
      else moreSkips.push(view);
    }
    if (moreSkips.length) {
      const more = h('button', { cls: 'more', onclick: () => {
        more.replaceWith(...moreSkips.map((make) => make()));
      } }, `show ${plural(moreSkips.length, 'more reason')}`);
      skipList.append(more);
    }
    const filtered = q || hide.length;
    count.textContent = filtered ? `${plural(groupsShown, 'group')}, ${plural(shown, 'test')} match` : '';
    if (filtered && !groupsShown) failList.append(h('p', { cls: 'muted' }, 'Nothing matches the filter.'));
    return [q, hide] as const;
  };
  const changed = () => {
    const [, hide] = apply();
    filter.onChange(search.value, hide);
  };
  search.addEventListener('input', changed);
  for (const b of toggles.values()) b.addEventListener('change', changed);
  apply();
  return box;
}

function groupView(g: Group, ids: string[], tri: Triage, facts: FactsOf | null, links: SummaryLinks,
  open: boolean): HTMLElement {
  const lines = g.message.length ? g.message : [g.cause];
  // Everything but the tests sits in <summary>: a closed group still shows its
  // message and who failed when.
  const summary = h('summary', null,
    h('span', { cls: `count-badge st-${g.kind}` }, String(ids === g.ids ? g.count : `${ids.length} of ${g.count}`)), ' ',
    h('span', { cls: 'cause' }, lines[0]));
  if (lines.length > 1) summary.append(h('pre', { cls: 'message' }, lines.slice(1, MESSAGE_LINES).join('\n')));
  const who = facts ? groupFacts(ids, facts) : '';
  const about = who + (who && g.more && ids === g.ids ? ` (of the ${ids.length} listed)` : '');
  const classes = g.classes.length
    ? `class fixture failed: ${plural(g.classes.length, 'whole class', 'whole classes')} failed` : '';
  if (about || classes) summary.append(h('div', { cls: 'group-facts muted' }, [about, classes].filter(Boolean).join(' · ')));
  const el = h('details', { cls: `group st-${g.kind}` }, summary);
  let built = false;
  el.addEventListener('toggle', () => {
    if (!el.open || built) return;
    built = true;
    el.append(testTable(g, ids, tri, facts, links));
  });
  // Unfinished tests and a few small failure groups open at once: their tests are the news.
  const failGroups = tri.groups.filter((x) => x.kind === 'fail').length;
  if (open || (g.kind === 'inprogress' && ids.length <= 20) || (g.kind === 'fail' && failGroups <= 6 && ids.length <= 3)) {
    el.open = true;
  }
  return el;
}

/** "workers 0, 1, 3 · 02:47:01 UTC to 03:05:12 UTC": who and when, for the header. */
function groupFacts(ids: string[], factsOf: FactsOf): string {
  const workers = new Set<string>();
  let first = Infinity, last = -Infinity;
  for (const id of ids) {
    const t = factsOf(id);
    if (!t) continue;
    workers.add(t.worker === null ? 'no worker' : String(t.worker));
    if (t.start < first) first = t.start;
    if (t.start > last) last = t.start;
  }
  if (!workers.size) return '';
  const w = [...workers].sort((a, b) => Number(a) - Number(b));
  const who = w.length > 8 ? `${w.length} workers` : `${w.length > 1 ? 'workers' : 'worker'} ${w.join(', ')}`;
  const when = first === last ? `at ${formatAt(first)}` : `from ${formatAt(first)} to ${formatAt(last)}`;
  return `${who} · ${when}`;
}

function testTable(g: Group, ids: string[], tri: Triage, factsOf: FactsOf | null, links: SummaryLinks): HTMLElement {
  const table = h('table', { cls: 'group-tests' },
    h('tr', null, h('th', null, 'test'), h('th', null, 'worker'), h('th', null, 'start'),
      h('th', { cls: 'num' }, 'duration'), h('th', null, '')));
  const row = (id: string) => {
    const t = factsOf ? factsOf(id) : null;
    const name = tri.names.get(id) || id;
    const cls = fixtureClass(name);
    return h('tr', { data: { test: id } },
      h('td', null, h('a', { cls: 'fname', href: links.test(id) }, name),
        cls ? h('span', { cls: 'badge st-fail class-badge', title: `the fixture failed: every test of ${cls} failed with it` }, 'whole class') : ''),
      h('td', null, t ? laneLabel(t.worker) : ''),
      t ? h('td', { cls: 'time', title: formatOthers(t.start) }, formatAt(t.start)) : h('td'),
      h('td', { cls: 'num' }, t && isFinite(t.duration) ? formatDuration(t.duration) : ''),
      h('td', null, h('a', { cls: 'muted', href: links.timeline(id), title: 'show on the timeline' }, 'timeline')));
  };
  ids.slice(0, ROWS_SHOWN).forEach((id) => table.append(row(id)));
  const box = h('div', { cls: 'group-body' }, table);
  if (ids.length > ROWS_SHOWN) {
    const more = h('button', { cls: 'more', onclick: () => {
      ids.slice(ROWS_SHOWN).forEach((id) => table.append(row(id)));
      more.remove();
    } }, `show ${ids.length - ROWS_SHOWN} more`);
    box.append(more);
  }
  if (g.more && ids === g.ids) {
    box.append(h('p', { cls: 'muted' }, `${plural(g.more, 'more test')} in this group, not listed by the export`));
  }
  return box;
}

function cards(start: number, wall: number, count: number, counts: Record<string, number>,
  workers: number | null, totalDuration: unknown): HTMLElement {
  const card = (label: string, value: string, cls = '') =>
    h('div', { cls: `card ${cls}` }, h('div', { cls: 'label' }, label), h('div', { cls: 'value' }, value));
  const n = (k: string) => Number(counts?.[k] || 0);
  return h('div', { cls: 'cards' },
    card('Date', formatDate(start)),
    card('Wall time', formatDuration(wall)),
    card('Tests', String(count ?? '-')),
    card('Passed', String(n('success')), 'st-success'),
    card('Failed', String(n('fail') + n('uxsuccess')), n('fail') + n('uxsuccess') ? 'st-fail' : ''),
    card('Skipped', String(n('skip')), 'st-skip'),
    n('inprogress') ? card('Unfinished', String(n('inprogress')), 'st-inprogress') : null,
    n('xfail') ? card('Expected failures', String(n('xfail'))) : null,
    workers !== null ? card('Workers', String(workers)) : null,
    typeof totalDuration === 'number' ? card('Test time', formatDuration(totalDuration)) : null,
  );
}

function warnings(el: HTMLElement, list: string[]): void {
  if (list.length) el.append(h('ul', { cls: 'warnings' }, ...list.map((w) => h('li', null, w))));
}
