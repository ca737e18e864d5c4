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

// Test details: facts, then one tab per attachment, traceback first. Log-like
// attachments get a level filter that keeps continuation lines with their record,
// and their WARNING / ERROR records set apart. Previous / next failure by link and
// by keyboard (p / n) when the page shows one test.
import { h, clear } from './dom';
import { formatDuration } from './iso';
import { LEVELS, LogRecord, filterLog, hasLevels, splitRecords } from './logfilter';
import { formatAt, formatOthers } from './timefmt';
import { STATUSES, Test } from './model';
import { ServiceView, errorsLabel, renderServiceLogs } from './servicelogs';

export type Attachments = Record<string, string>;

const FIRST = ['traceback', 'reason', 'pythonlogging', 'stdout', 'stderr'];

/** Attachment names in display order: traceback first, then the usual ones, then the rest. */
export function attachmentOrder(names: string[]): string[] {
  const rank = (n: string) => {
    const i = FIRST.indexOf(n);
    return i < 0 ? FIRST.length : i;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface DetailsLinks {
  timeline: string;
  page: string | null;
  prev?: string | null;
  next?: string | null;
  /** "failure 3 of 317" */
  position?: string | null;
  summary?: string;
}

/** Copy text to the clipboard; says "copied" on the button for a moment. */
function copyButton(label: string, text: () => string): HTMLElement {
  const b = h('button', { cls: 'copy', type: 'button', title: `copy the ${label}` }, `copy ${label}`);
  b.addEventListener('click', async () => {
    const value = text();
    let ok = false;
    try {
      await navigator.clipboard.writeText(value);
      ok = true;
    } catch {
      // No clipboard API (an old browser, a page without permission): select and copy.
      const area = h('textarea');
      area.value = value;
      document.body.append(area);
      area.select();
      ok = document.execCommand('copy');
      area.remove();
    }
    b.textContent = ok ? 'copied' : 'copy failed';
    setTimeout(() => (b.textContent = `copy ${label}`), 1500);
  });
  return b;
}

/** p / n pressed on the page (not in a field) while `el` is shown: go(-1) / go(1). */
function onStepKeys(el: HTMLElement, go: (d: -1 | 1) => boolean): void {
  const onKey = (e: KeyboardEvent) => {
    if (!el.isConnected) {
      document.removeEventListener('keydown', onKey);
      return;
    }
    const target = e.target as HTMLElement;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if ((e.key === 'n' || e.key === 'p') && go(e.key === 'n' ? 1 : -1)) e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
}

function pagerNav(prev: HTMLElement, position: string, next: HTMLElement, summary?: string): HTMLElement {
  return h('nav', { cls: 'pager' }, prev, ' ', h('span', { cls: 'position muted' }, position), ' ', next,
    summary ? h('a', { cls: 'back', href: summary }, 'back to the summary') : null);
}

/** Previous / next failure links (and p / n keys), or null when there is none. */
export function failurePager(links: DetailsLinks): HTMLElement | null {
  if (!links.position && !links.prev && !links.next) return null;
  const el = pagerNav(
    links.prev ? h('a', { cls: 'prev', href: links.prev, title: 'previous failure (p)' }, '← previous failure')
      : h('span', { cls: 'muted' }, '← previous failure'),
    links.position || '',
    links.next ? h('a', { cls: 'next', href: links.next, title: 'next failure (n)' }, 'next failure →')
      : h('span', { cls: 'muted' }, 'next failure →'),
    links.summary);
  onStepKeys(el, (d) => {
    const to = d > 0 ? links.next : links.prev;
    if (to) location.hash = to;
    return !!to;
  });
  return el;
}

/**
 * Previous / next failure while the failure order is not loaded (it can weigh a
 * megabyte): the first click or p / n asks `links` for it, puts the full pager in
 * this one's place and goes.
 */
export function pagerOnDemand(links: () => Promise<DetailsLinks>, summary?: string): HTMLElement {
  let asked: Promise<DetailsLinks> | null = null;
  const go = (d: -1 | 1) => {
    asked = asked || links();
    asked.then((l) => {
      if (!el.isConnected) return;
      const full = failurePager(l);
      el.replaceWith(full || '');
      const to = d > 0 ? l.next : l.prev;
      if (to) location.hash = to;
    }, () => (position.textContent = 'the failure list could not be loaded'));
    return true;
  };
  const link = (d: -1 | 1, text: string) => h('a', { cls: d > 0 ? 'next' : 'prev', href: '#',
    title: `${d > 0 ? 'next' : 'previous'} failure (${d > 0 ? 'n' : 'p'})`,
    onclick: (e: Event) => { e.preventDefault(); go(d); } }, text);
  const el = pagerNav(link(-1, '← previous failure'), '', link(1, 'next failure →'), summary);
  const position = el.querySelector('.position') as HTMLElement;
  onStepKeys(el, go);
  return el;
}

export function renderDetails(
  test: Test, load: Promise<Attachments | null>, links: DetailsLinks,
  service: Promise<ServiceView | null> | null = null,
): HTMLElement {
  const el = h('section', { cls: 'details', data: { test: test.id } });
  const status = STATUSES[test.status];
  let att: Attachments | null = null;
  el.append(
    failurePager(links) || '',
    h('h2', { cls: 'test-name' }, test.name),
    h('div', { cls: 'facts' },
      h('span', { cls: `badge st-${status}` }, status),
      ` ${formatDuration(test.duration)} · ${test.worker === null ? 'no worker' : `worker ${test.worker}`} · started `,
      h('span', { cls: 'time', title: formatOthers(test.start) }, formatAt(test.start, true)),
      test.unfinished ? ' · never finished: drawn up to the end of the run' : '',
      ' · ', h('a', { href: links.timeline }, 'show on timeline'),
      links.page ? ' · ' : '', links.page ? h('a', { href: links.page }, 'open alone') : ''),
    h('div', { cls: 'muted test-id' }, 'id: ', h('span', { cls: 'id-text' }, test.id), ' ',
      copyButton('id', () => test.id)),
    test.tags.length ? h('div', { cls: 'muted' }, 'tags: ', test.tags.join(', ')) : '',
  );
  const body = h('div', { cls: 'attachments' }, h('p', { cls: 'muted loading' }, 'Loading attachments…'));
  el.append(body);
  // The service logs' shard loads beside the attachments; a problem with it only
  // costs its own tab.
  const svc = service ? service.catch((e: Error) => e) : Promise.resolve(null);
  Promise.all([load, svc]).then(
    ([got, view]) => {
      att = got;
      clear(body);
      const extra = view ? [serviceTab(view)] : [];
      if ((!att || !Object.keys(att).length) && !extra.length) {
        body.append(h('p', { cls: 'muted none' }, 'This test has no attachments.'));
        return;
      }
      if (att && Object.keys(att).length) {
        const tb = attachmentOrder(Object.keys(att)).find((n) => /traceback/i.test(n));
        if (tb) body.append(h('div', { cls: 'copy-bar' }, copyButton('traceback', () => String(att![tb]))));
      }
      body.append(attachmentTabs(att || {}, extra));
    },
    (err: Error) => {
      clear(body);
      body.append(h('p', { cls: 'error' }, `Could not load the attachments: ${err.message}`));
    },
  );
  return el;
}

/** A tab that is not an attachment (its name has a "-": attachment names cannot). */
interface ExtraTab {
  name: string;
  label: string;
  note: string;
  render(): HTMLElement;
}

function serviceTab(view: ServiceView | Error): ExtraTab {
  if (view instanceof Error) {
    return { name: 'service-logs', label: 'Service logs', note: '', render: () =>
      h('p', { cls: 'error' }, `Could not load the service log lines: ${view.message}`) };
  }
  const lines = view.lines;
  const count = lines ? lines.records.length : 0;
  const errors = lines ? lines.records.filter((r) => r[3] === 'ERROR' || r[3] === 'CRITICAL' || r[3] === 'TRACE').length : 0;
  return {
    name: 'service-logs', label: 'Service logs',
    note: ` ${count} record${count === 1 ? '' : 's'}${errors ? ', ' + errorsLabel(errors).replace('service ', '') : ''}`,
    render: () => renderServiceLogs(view.index, lines),
  };
}

function attachmentTabs(att: Attachments, extra: ExtraTab[] = []): HTMLElement {
  const names = attachmentOrder(Object.keys(att));
  const tabs = h('div', { cls: 'tabs', data: { role: 'tablist' } });
  const pane = h('div', { cls: 'pane' });
  const show = (name: string) => {
    for (const b of Array.from(tabs.children)) b.classList.toggle('on', (b as HTMLElement).dataset.name === name);
    clear(pane);
    const other = extra.find((e) => e.name === name);
    pane.append(other ? other.render() : attachmentView(name, String(att[name])));
  };
  for (const n of names) {
    tabs.append(h('button', { cls: 'tab', data: { name: n }, onclick: () => show(n) }, n,
      h('span', { cls: 'size' }, ` ${sizeLabel(att[n].length)}`)));
  }
  for (const e of extra) {
    tabs.append(h('button', { cls: 'tab', data: { name: e.name }, onclick: () => show(e.name) }, e.label,
      h('span', { cls: 'size' }, e.note)));
  }
  show(names.length ? names[0] : extra[0].name);
  return h('div', null, tabs, pane);
}

function sizeLabel(n: number): string {
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
}

// Past this many records a log is shown as plain text: one element per record
// would make opening a huge log slow.
const COLOURED_RECORDS = 20000;
const LEVEL_CLASS = ['lvl-debug', 'lvl-info', 'lvl-warning', 'lvl-error', 'lvl-error'];

/** The records at minLevel or above, WARNING and ERROR ones in their own spans. */
function showRecords(pre: HTMLElement, records: LogRecord[], minLevel: number): void {
  if (records.length > COLOURED_RECORDS) {
    pre.textContent = filterLog(records, minLevel);
    return;
  }
  clear(pre);
  const frag = document.createDocumentFragment();
  let plain: string[] = [];
  const flush = () => {
    if (plain.length) frag.append(document.createTextNode(plain.join('\n') + '\n'));
    plain = [];
  };
  for (const r of records) {
    if (r.level >= 0 && r.level < minLevel) continue;
    if (r.level >= 2) {
      flush();
      const span = h('span', { cls: LEVEL_CLASS[r.level] });
      span.textContent = r.lines.join('\n') + '\n';
      frag.append(span);
    } else {
      plain.push(...r.lines);
    }
  }
  flush();
  pre.append(frag);
}

function attachmentView(name: string, text: string): HTMLElement {
  const pre = h('pre', { cls: `att att-${name.replace(/\W/g, '')}` });
  const records = splitRecords(text);
  if (!hasLevels(records)) {
    pre.textContent = text;
    return h('div', null, pre);
  }
  showRecords(pre, records, 0);
  const sel = h('select', { cls: 'level', onchange: () => showRecords(pre, records, sel.selectedIndex) });
  LEVELS.forEach((l, i) => sel.append(h('option', { value: String(i) }, i === 0 ? 'all levels' : `${l} and above`)));
  return h('div', null, h('label', { cls: 'level-label' }, 'Level ', sel), pre);
}
