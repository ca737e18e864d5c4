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

// The timeline page: search bar with status toggles and a jump list, the lanes,
// the dstat strips below on the same time axis, and the selected test's details.
import type { RunStore } from './store';
import type { SummaryLinks } from './summary';
import { h, clear, plural } from './dom';
import { renderDetails } from './details';
import { ErrorStrip } from './errorstrip';
import { Graphs } from './graphs';
import { INPROGRESS, Run, STATUSES, Test } from './model';
import { formatAt, formatDate } from './timefmt';
import { Route, formatHash } from './route';
import { STATUS_COLORS, Timeline } from './timeline';

const JUMP_LIMIT = 200;
const OUTLIER_EXAMPLES = 3;
const UNFINISHED_SHOWN = 5;
// Below the lanes: the resource strips' usual height, kept on screen with the lanes.
const GRAPHS_RESERVE = 330;

export class TimelineView {
  readonly el: HTMLElement;
  readonly timeline: Timeline;
  graphs: Graphs | null = null;
  errors: ErrorStrip | null = null;
  private errorBox = h('div', { cls: 'error-box' });
  private route: Route;
  private lower: string[] | null = null;
  private search = h('input', { type: 'search', cls: 'search' });
  private toggles = new Map<string, HTMLInputElement>();
  private count = h('span', { cls: 'count muted' });
  private jump = h('ol', { cls: 'jump' });
  private graphBox = h('div', { cls: 'graph-box' });
  private detailsBox = h('div', { cls: 'selected' });
  private urlTimer = 0;
  private appliedFilter = '';
  private onKey = (e: KeyboardEvent) => this.key(e);
  private onResize = () => this.resize();

  constructor(private store: RunStore, private linksOf: (run: string) => SummaryLinks,
              readonly run: Run, route: Route) {
    this.route = { ...route };
    this.timeline = new Timeline(run, {
      onSelect: (t) => this.navigate({ test: t ? t.id : null }, true),
      onView: (t0, t1) => {
        this.graphs?.setView(t0, t1, this.timeline.el.clientWidth || 800);
        this.errors?.setView(t0, t1, this.timeline.el.clientWidth || 800);
        this.saveView();
      },
      onCursor: (t) => this.graphs?.setCursor(t),
    });
    this.search.placeholder = 'search test names';
    this.search.value = route.q;
    this.search.addEventListener('input', () => {
      this.route.q = this.search.value;
      this.applyFilter();
      this.saveView();
    });
    const bar = h('div', { cls: 'searchbar' }, this.search);
    STATUSES.forEach((s, i) => {
      // A toggle only for the statuses this run has (and any the URL hides).
      if (!run.counts[s] && !route.hide.includes(s)) return;
      const box = h('input', { type: 'checkbox', cls: `toggle toggle-${s}` });
      box.checked = !route.hide.includes(s);
      box.addEventListener('change', () => {
        this.route.hide = [...this.toggles].filter(([, b]) => !b.checked).map(([x]) => x);
        this.applyFilter();
        this.saveView();
      });
      this.toggles.set(s, box);
      const swatch = h('span', { cls: 'swatch' });
      swatch.style.background = STATUS_COLORS[i];
      bar.append(h('label', { cls: 'status-toggle' }, box, swatch, `${s} ${run.counts[s]}`));
    });
    bar.append(h('span', { cls: 'legend' }, h('span', { cls: 'swatch idle' }), 'idle'), this.count);
    this.el = h('div', { cls: 'timeline-view' }, bar, this.jump, this.unfinishedNote(), this.outlierNote(), this.timeline.el, this.graphBox, this.errorBox,
      h('p', { cls: 'muted help' }, 'Wheel: zoom · drag: pan · overview: drag to pan or brush a window, double-click for the whole run (outliers aside) · ← →: previous / next test on the worker · /: search'),
      this.detailsBox);
  }

  mount(): void {
    document.addEventListener('keydown', this.onKey);
    window.addEventListener('resize', this.onResize);
    this.store.dstatOf(this.run).then((nodes) => {
      if (!this.el.isConnected) return;
      this.graphs = new Graphs(nodes, this.store.dstatProblems);
      this.graphBox.append(this.graphs.el);
      this.graphs.setView(this.timeline.t0, this.timeline.t1, this.timeline.el.clientWidth || 800);
      this.showSelected();
    });
    const ref = this.run.ref;
    if (ref.services) {
      this.store.serviceIndexOf(ref).then((index) => {
        if (!index || !this.el.isConnected || !index.timeline || !index.timeline.counts.size) return;
        this.errors = new ErrorStrip(index);
        this.errorBox.append(this.errors.el);
        this.errors.setView(this.timeline.t0, this.timeline.t1, this.timeline.el.clientWidth || 800);
      }, () => null);   // the strip is optional: the timeline works without it
    }
    this.resize();
    this.update(this.route, true);
    // The app disposes of a view it replaces; this also covers a view that leaves
    // the page any other way.
    this.leftPage.observe(document.body, { childList: true, subtree: true });
  }

  private leftPage = new MutationObserver(() => {
    if (!this.el.isConnected) this.dispose();
  });

  /** Detach every document and window listener of this view and its timeline. */
  dispose(): void {
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('resize', this.onResize);
    this.leftPage.disconnect();
    this.timeline.dispose();
    clearTimeout(this.urlTimer);
  }

  private resize(): void {
    const w = this.el.clientWidth || 800;
    // The lanes take the height left on the first screen above the resource strips.
    const top = this.timeline.el.getBoundingClientRect().top + window.scrollY + 40;
    this.timeline.resize(w, window.innerHeight - top - GRAPHS_RESERVE);
    this.graphs?.setView(this.timeline.t0, this.timeline.t1, w);
    this.errors?.setView(this.timeline.t0, this.timeline.t1, w);
  }

  /** The tests that never finished, first: what a timed-out job needs to show. */
  private unfinishedNote(): HTMLElement | string {
    const list = this.run.tests.filter((t) => t.status === INPROGRESS);
    if (!list.length) return '';
    const note = h('p', { cls: 'unfinished-note' },
      h('span', { cls: 'badge st-inprogress' }, 'unfinished'), ` ${plural(list.length, 'test')} never finished: `);
    list.slice(0, UNFINISHED_SHOWN).forEach((t, i) => {
      if (i) note.append(', ');
      note.append(h('button', { cls: 'unfinished-jump', title: 'select this test', onclick: () => this.navigate({ test: t.id }, true) },
        `${t.name} (${this.run.lanes[t.lane].label}, from ${formatAt(t.start)})`));
    });
    if (list.length > UNFINISHED_SHOWN) note.append(` and ${list.length - UNFINISHED_SHOWN} more`);
    return note;
  }

  /** Apply a route (from the URL) to the view. */
  update(r: Route, first = false): void {
    this.route = { ...r };
    if (this.search.value !== r.q) this.search.value = r.q;
    for (const [s, box] of this.toggles) box.checked = !r.hide.includes(s);
    this.applyFilter();
    if (r.from !== null && r.to !== null) {
      this.timeline.setView(this.timeline.origin + r.from * 1000, this.timeline.origin + r.to * 1000, false);
      this.graphs?.setView(this.timeline.t0, this.timeline.t1, this.timeline.el.clientWidth || 800);
      this.errors?.setView(this.timeline.t0, this.timeline.t1, this.timeline.el.clientWidth || 800);
    }
    const test = r.test ? this.run.byId.get(r.test) || null : null;
    if (first && test && r.from === null) {
      // Arriving from a link to one test: zoom to it and its neighbours.
      const span = Math.max((test.end - test.start) * 20, 30000, (this.run.core.end - this.run.core.start) / 50);
      const mid = (test.start + test.end) / 2;
      this.timeline.setView(mid - span / 2, mid + span / 2, false);
      this.graphs?.setView(this.timeline.t0, this.timeline.t1, this.timeline.el.clientWidth || 800);
      this.errors?.setView(this.timeline.t0, this.timeline.t1, this.timeline.el.clientWidth || 800);
    }
    if (test !== this.timeline.selected || first) {
      this.timeline.select(test, true);
      this.showSelected();
    }
  }

  /**
   * "N tests with timestamps far outside the run, e.g. ...": they are left out of the
   * default view (see markOutliers); each example zooms to its test, and one
   * button comes back to the run. Empty when the run has no outlier.
   */
  private outlierNote(): HTMLElement | string {
    const list = this.run.outliers;
    if (!list.length) return '';
    const n = list.length;
    const picks = n <= OUTLIER_EXAMPLES ? list
      : [list[0], list[Math.floor(n / 2)], list[n - 1]];
    const note = h('p', { cls: 'outliers' },
      `${n} test${n === 1 ? '' : 's'} with timestamps far outside the run, e.g. `);
    note.setAttribute('role', 'status');
    picks.forEach((t, i) => {
      if (i) note.append(', ');
      note.append(h('button', { cls: 'outlier-jump', title: 'zoom to this test', onclick: () => this.zoomTo(t) },
        `${formatDate(t.start)} · ${t.name}`));
    });
    note.append(n > picks.length ? ` and ${n - picks.length} more` : '',
      '. The view leaves them out. ',
      h('button', { cls: 'outlier-home', onclick: () => this.timeline.home() }, 'back to the run'));
    return note;
  }

  private zoomTo(t: Test): void {
    const span = Math.max((t.end - t.start) * 20, 60000);
    const mid = (t.start + t.end) / 2;
    this.timeline.setView(mid - span / 2, mid + span / 2);
    this.navigate({ test: t.id }, true);
  }

  private navigate(change: Partial<Route>, push: boolean): void {
    const r = { ...this.route, ...change, view: 'timeline' as const };
    r.from = (this.timeline.t0 - this.timeline.origin) / 1000;
    r.to = (this.timeline.t1 - this.timeline.origin) / 1000;
    const hash = formatHash(r);
    if (push) location.hash = hash;
    else history.replaceState(null, '', hash);
  }

  /** Keep the window, search and toggles in the URL without adding history entries. */
  private saveView(): void {
    clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(() => {
      if (this.el.isConnected) this.navigate({}, false);
    }, 250);
  }

  private applyFilter(): void {
    const q = this.route.q.trim().toLowerCase();
    const hide = new Set(this.route.hide);
    const key = q + '\n' + [...hide].join(',');
    if (key === this.appliedFilter) return;
    this.appliedFilter = key;
    clear(this.jump);
    if (!q && !hide.size) {
      this.timeline.setMatch(null);
      this.count.textContent = '';
      this.jump.classList.remove('on');
      return;
    }
    if (!this.lower) this.lower = this.run.tests.map((t) => t.name.toLowerCase());
    const lower = this.lower;
    const match = new Uint8Array(this.run.tests.length);
    const hits: Test[] = [];
    for (const t of this.run.tests) {
      if (hide.has(STATUSES[t.status])) continue;
      if (q && !lower[t.idx].includes(q)) continue;
      match[t.idx] = 1;
      hits.push(t);
    }
    this.timeline.setMatch(match);
    this.count.textContent = `${hits.length} of ${this.run.tests.length} tests match`;
    // Unfinished tests first, then by start.
    hits.sort((a, b) => Number(b.status === INPROGRESS) - Number(a.status === INPROGRESS) || a.start - b.start);
    for (const t of hits.slice(0, JUMP_LIMIT)) {
      this.jump.append(h('li', null, h('button', { cls: `jump-item st-${STATUSES[t.status]}`, onclick: () => this.navigate({ test: t.id }, true) },
        h('span', { cls: `badge st-${STATUSES[t.status]}` }, STATUSES[t.status]), ' ', t.name)));
    }
    if (hits.length > JUMP_LIMIT) this.jump.append(h('li', { cls: 'muted' }, `${hits.length - JUMP_LIMIT} more: refine the search`));
    this.jump.classList.add('on');
  }

  private showSelected(): void {
    clear(this.detailsBox);
    const t = this.timeline.selected;
    this.graphs?.setBand(t ? [t.start, t.end] : null);
    if (!t) {
      this.detailsBox.append(h('p', { cls: 'muted' }, 'Click a test to see its details here.'));
      return;
    }
    const links = this.linksOf(this.run.ref.name);
    const ref = this.run.ref;
    this.detailsBox.append(renderDetails(t, this.store.detailsOf(this.run, t.id), {
      timeline: links.timeline(t.id), page: links.test(t.id),
    }, ref.services ? this.store.serviceViewOf(ref, t.id) : null));
  }

  private key(e: KeyboardEvent): void {
    const target = e.target as HTMLElement;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
      if (e.key === 'Escape') target.blur();
      return;
    }
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      const next = this.timeline.step(e.key === 'ArrowLeft' ? -1 : 1);
      if (next) {
        e.preventDefault();
        this.navigate({ test: next.id }, true);
      }
    } else if (e.key === '/') {
      e.preventDefault();
      this.search.focus();
    } else if (e.key === '+' || e.key === '=') {
      this.timeline.zoom(0.5, (this.timeline.t0 + this.timeline.t1) / 2);
    } else if (e.key === '-') {
      this.timeline.zoom(2, (this.timeline.t0 + this.timeline.t1) / 2);
    } else if (e.key === 'Escape' && this.timeline.selected) {
      this.navigate({ test: null }, true);
    }
  }
}
