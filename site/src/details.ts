// Test details: facts, then one tab per attachment, traceback first. Log-like
// attachments get a level filter that keeps continuation lines with their record.
import { h, clear } from './dom';
import { formatDuration, formatTime } from './iso';
import { LEVELS, filterLog, hasLevels, splitRecords } from './logfilter';
import { Run, STATUSES, Test } from './model';
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
}

export function renderDetails(
  run: Run, test: Test, load: Promise<Attachments | null>, links: DetailsLinks,
  service: Promise<ServiceView | null> | null = null,
): HTMLElement {
  const el = h('section', { cls: 'details', data: { test: test.id } });
  const status = STATUSES[test.status];
  el.append(
    h('h2', { cls: 'test-name' }, test.name),
    h('div', { cls: 'facts' },
      h('span', { cls: `badge st-${status}` }, status),
      ` ${formatDuration(test.duration)} · ${run.lanes[test.lane].label} · started ${formatTime(test.start)}`,
      test.unfinished ? ' · never finished: drawn up to the end of the run' : '',
      ' · ', h('a', { href: links.timeline }, 'show on timeline'),
      links.page ? ' · ' : '', links.page ? h('a', { href: links.page }, 'open alone') : ''),
    test.id !== test.name ? h('div', { cls: 'muted' }, 'id: ', test.id) : '',
    test.tags.length ? h('div', { cls: 'muted' }, 'tags: ', test.tags.join(', ')) : '',
  );
  const body = h('div', { cls: 'attachments' }, h('p', { cls: 'muted loading' }, 'Loading attachments…'));
  el.append(body);
  // The service logs' shard loads beside the attachments; a problem with it only
  // costs its own tab.
  const svc = service ? service.catch((e: Error) => e) : Promise.resolve(null);
  Promise.all([load, svc]).then(
    ([att, view]) => {
      clear(body);
      const extra = view ? [serviceTab(view)] : [];
      if ((!att || !Object.keys(att).length) && !extra.length) {
        body.append(h('p', { cls: 'muted none' }, 'This test has no attachments.'));
        return;
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

function attachmentView(name: string, text: string): HTMLElement {
  const pre = h('pre', { cls: `att att-${name.replace(/\W/g, '')}` });
  pre.textContent = text;
  const records = splitRecords(text);
  if (!hasLevels(records)) return h('div', null, pre);
  const sel = h('select', { cls: 'level', onchange: () => {
    pre.textContent = filterLog(records, sel.selectedIndex);
  } });
  LEVELS.forEach((l, i) => sel.append(h('option', { value: String(i) }, i === 0 ? 'all levels' : `${l} and above`)));
  return h('div', null, h('label', { cls: 'level-label' }, 'Level ', sel), pre);
}
