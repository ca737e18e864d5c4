// The summary: when, how long, counts, then what went wrong (unfinished tests
// first, then failures with their message), slowest tests and idle workers.
import { h } from './dom';
import { formatDuration, formatTime, parseIso } from './iso';
import { Failure, Run, INPROGRESS, isFixture, slowest } from './model';

const FAILURES_SHOWN = 200;

export interface SummaryLinks {
  test(id: string): string;
  timeline(id: string | null): string;
}

// Summary from stats.json alone (v1 extensions), shown before raw.json arrives.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function quickSummary(stats: any, links: SummaryLinks): HTMLElement | null {
  if (!stats || typeof stats.counts !== 'object' || !stats.counts) return null;
  const start = parseIso(stats.start), end = parseIso(stats.end);
  const el = h('section', { cls: 'summary' },
    cards(start, typeof stats.wall_time === 'number' ? stats.wall_time : (end - start) / 1000,
      stats.count, stats.counts, Array.isArray(stats.workers) ? stats.workers.length : null,
      stats.total_duration));
  warnings(el, Array.isArray(stats.warnings) ? stats.warnings.map(String) : []);
  const bad = h('ol', { cls: 'failures' });
  for (const t of Array.isArray(stats.inprogress) ? stats.inprogress : []) {
    if (t && typeof t.name === 'string') {
      const start = parseIso(t.start);
      const note = isNaN(start) ? null
        : [`still running when the stream ended: started at +${formatDuration((start - parseIso(stats.start)) / 1000)}` +
          (typeof t.worker === 'number' ? ` on worker ${t.worker}` : '')];
      bad.append(failureItem(t.name, String(t.id ?? t.name), 'inprogress', note, links));
    }
  }
  for (const f of Array.isArray(stats.failures) ? stats.failures.slice(0, FAILURES_SHOWN) : []) {
    if (f && typeof f.name === 'string') {
      bad.append(failureItem(f.name, String(f.id ?? f.name), 'fail', Array.isArray(f.details) ? f.details.map(String) : null, links));
    }
  }
  if (bad.children.length) el.append(h('h3', null, 'What went wrong'), bad);
  el.append(h('p', { cls: 'muted loading' }, 'Loading the tests…'));
  return el;
}

export function fullSummary(run: Run, links: SummaryLinks): HTMLElement {
  const workers = run.lanes.filter((l) => l.worker !== null).length;
  // Date and wall time of the run without its outliers (a clock reset to 1970 is not
  // when the run happened); the timeline's note names them.
  const el = h('section', { cls: 'summary' },
    cards(run.core.start, (run.core.end - run.core.start) / 1000, run.tests.length, run.counts, workers, run.totalDuration));
  const n = run.outliers.length;
  warnings(el, n ? run.warnings.concat(`${n} test${n === 1 ? '' : 's'} with timestamps far outside the run ` +
    `(e.g. ${formatTime(run.outliers[0].start)}) left out of the date and wall time`) : run.warnings);
  if (run.failures.length) {
    const list = h('ol', { cls: 'failures' });
    const item = (f: Failure) => {
      const t = f.test;
      const unfinished = t !== null && t.status === INPROGRESS;
      const message = unfinished
        ? [`still running when the stream ended: started at +${formatDuration((t.start - run.core.start) / 1000)} on ${run.lanes[t.lane].label}`]
        : f.message;
      return failureItem(f.name, f.id, unfinished ? 'inprogress' : 'fail', message, links);
    };
    // A broken job can fail thousands of tests: show the first ones at once.
    run.failures.slice(0, FAILURES_SHOWN).forEach((f) => list.append(item(f)));
    el.append(h('h3', null, `What went wrong (${run.failures.length})`), list);
    if (run.failures.length > FAILURES_SHOWN) {
      const more = h('button', { cls: 'more', onclick: () => {
        run.failures.slice(FAILURES_SHOWN).forEach((f) => list.append(item(f)));
        more.remove();
      } }, `show ${run.failures.length - FAILURES_SHOWN} more`);
      el.append(more);
    }
  } else {
    el.append(h('p', { cls: 'all-good' }, 'No test failed.'));
  }
  const fixtures = run.failures.filter((f) => isFixture(f.name));
  if (fixtures.length) {
    el.append(h('h3', null, 'Class fixture failures (setUpClass / tearDownClass)'),
      h('ul', { cls: 'fixtures' }, ...fixtures.map((f) =>
        h('li', null, h('a', { href: links.test(f.id) }, f.name)))));
  }
  const slow = slowest(run, 15);
  if (slow.length) {
    el.append(h('h3', null, 'Slowest tests'), h('table', { cls: 'slowest' },
      ...slow.map((t) => h('tr', null,
        h('td', { cls: 'num' }, formatDuration(t.duration)),
        h('td', null, h('a', { href: links.test(t.id) }, t.name)),
        h('td', null, h('a', { href: links.timeline(t.id), title: 'show on the timeline' }, run.lanes[t.lane].label)))))); 
  }
  const wall = Math.max(1, run.end - run.start);
  el.append(h('h3', null, 'Workers'), h('table', { cls: 'workers' },
    h('tr', null, h('th', null, 'worker'), h('th', null, 'tests'), h('th', null, 'busy'),
      h('th', null, 'idle'), h('th', null, 'longest idle gap')),
    ...run.lanes.map((l) => h('tr', null,
      h('td', null, l.label), h('td', { cls: 'num' }, String(l.tests.length)),
      h('td', { cls: 'num' }, `${Math.round((100 * l.busy) / wall)}%`),
      h('td', { cls: 'num' }, formatDuration(l.idle / 1000)),
      h('td', null, `${formatDuration(l.longestGap / 1000)} from +${formatDuration((l.longestGapAt - run.start) / 1000)}`)))));
  if (run.skips.length) {
    const det = h('details', { cls: 'skips' }, h('summary', null, `${run.skips.length} skipped tests`));
    const ul = h('ul');
    for (const s of run.skips.slice(0, 500)) {
      ul.append(h('li', null, h('a', { href: links.test(s.id) }, s.name), s.reason ? h('span', { cls: 'muted' }, ` — ${s.reason}`) : ''));
    }
    if (run.skips.length > 500) ul.append(h('li', { cls: 'muted' }, `and ${run.skips.length - 500} more`));
    det.append(ul);
    el.append(det);
  }
  return el;
}

function cards(start: number, wall: number, count: number, counts: Record<string, number>,
  workers: number | null, totalDuration: unknown): HTMLElement {
  const card = (label: string, value: string, cls = '') =>
    h('div', { cls: `card ${cls}` }, h('div', { cls: 'label' }, label), h('div', { cls: 'value' }, value));
  const n = (k: string) => Number(counts?.[k] || 0);
  return h('div', { cls: 'cards' },
    card('Date', formatTime(start)),
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

function failureItem(name: string, id: string, status: string, message: string[] | null,
  links: SummaryLinks): HTMLElement {
  return h('li', { cls: `failure st-${status}`, data: { test: id } },
    h('span', { cls: `badge st-${status}` }, status === 'inprogress' ? 'unfinished' : 'failed'), ' ',
    h('a', { cls: 'fname', href: links.test(id) }, name), ' ',
    h('a', { cls: 'muted', href: links.timeline(id) }, '[timeline]'),
    message && message.length ? h('pre', { cls: 'message' }, message.join('\n')) : null);
}
