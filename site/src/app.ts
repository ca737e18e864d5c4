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

// The app: loads the index, keeps the loaded runs, and renders the view the
// hash route names. Views reuse what is loaded: switching views fetches nothing new.
import { h, clear, plural } from './dom';
import { Attachments, DetailsLinks, pagerOnDemand, renderDetails } from './details';
import { Config, Stats, runArtifact } from './format';
import { Handoff } from './handoff';
import { Source, twinPath } from './loader';
import { parseIso } from './iso';
import { FAIL, INPROGRESS, Index, RunRef, Test, UXSUCCESS, buildRun, readConfig } from './model';
import { Route, emptyRoute, formatHash, parseHash } from './route';
import { addErrorBadges } from './servicelogs';
import { fullSummary, quickSummary, statsSuffice, SummaryFilter, SummaryLinks } from './summary';
import { TIME_MODES, TIME_MODE_LABELS, setTimeMode } from './timefmt';
import { failureOrder, readTriage } from './triage';
import { TimelineView } from './timelineview';
import { TimelineDecoder } from './timelineload';
import { FetchingStore, attachmentsOf, hasIdIndex, parseJson } from './store';

export interface Probe {
  marks: Record<string, number>;
  errors: string[];
  requested: string[];
  view: TimelineView | null;
  route: Route;
}

export class App {
  index: Index | null = null;
  private config: Config = {};
  route: Route = emptyRoute();
  private timeline: TimelineView | null = null;
  private generation = 0;
  readonly probe: Probe;
  /** The loaded data: views get it, never the app. */
  readonly store: FetchingStore;

  /** ``handoff``: what boot.js loaded and painted before this script ran (null: nothing). */
  constructor(private source: Source, private root: HTMLElement, private header: HTMLElement,
              private handoff: Handoff | null = null, decoder?: TimelineDecoder) {
    if (handoff) source.requested.unshift(...handoff.requested);
    this.probe = { marks: handoff ? handoff.marks : {}, errors: [], requested: source.requested, view: null, route: this.route };
    this.store = new FetchingStore(source, () => this.index!, (name) => this.mark(name), decoder);
    if (handoff?.first) this.store.firstScreenFrom(handoff.first.run, handoff.first.stats);
  }

  mark(name: string): void {
    if (this.probe.marks[name] === undefined) {
      this.probe.marks[name] = performance.now();
      performance.mark(`stackviz:${name}`);
    }
  }

  fail(err: unknown, where: HTMLElement = this.root): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.probe.errors.push(msg);
    where.append(h('p', { cls: 'error' }, msg));
  }

  async start(): Promise<void> {
    try {
      this.config = await this.loadConfig();
      this.index = readConfig(this.config);
    } catch (e) {
      clear(this.root);
      this.fail(new Error(`Could not load data/config.json: ${(e as Error).message}`));
      return;
    }
    this.mark('config');
    if (!this.index.runs.length) {
      clear(this.root);
      this.fail(new Error('config.json lists no test run.'));
      return;
    }
    window.addEventListener('hashchange', () => this.onRoute());
    this.onRoute();
  }

  private async loadConfig(): Promise<Config> {
    // readConfig checks the shape.
    if (this.handoff) return parseJson('config.json', await this.handoff.config) as Config;
    if (this.source.mode === 'file') {
      return parseJson('config.json', await this.source.text('config.json', twinPath('config.json'))) as Config;
    }
    // Logs gzipped by an old job may hold only config.json.gz: the source tries it.
    return parseJson('config.json', await this.source.text('config.json')) as Config;
  }

  /** The run a route names; the first one when it names none, null for an unknown name. */
  refOf(name: string | null): RunRef | null {
    const runs = this.index!.runs;
    if (name === null || name === '') return runs[0];
    return runs.find((r) => r.name === name) || null;
  }

  link(r: Partial<Route>): string {
    return formatHash({ ...emptyRoute(), run: this.route.run, ...r });
  }

  /** The summary's filter, kept in the URL (q, st) without adding history entries. */
  private summaryFilter(): SummaryFilter {
    return {
      q: this.route.q, hide: this.route.hide,
      onChange: (q, hide) => {
        this.route = { ...this.route, q, hide };
        this.probe.route = this.route;
        history.replaceState(null, '', formatHash(this.route));
      },
    };
  }

  links(run: string): SummaryLinks {
    return {
      test: (id) => formatHash({ ...emptyRoute(), run, view: 'test', test: id }),
      timeline: (id) => formatHash({ ...emptyRoute(), run, view: 'timeline', test: id }),
    };
  }

  private onRoute(): void {
    const prev = this.route;
    const r = parseHash(location.hash);
    setTimeMode(r.time);
    const ref = this.refOf(r.run);
    if (!ref) {
      this.unknownRun(r);
      return;
    }
    r.run = ref.name;
    this.route = r;
    this.probe.route = r;
    this.renderHeader(ref);
    document.title = `${r.view === 'test' && r.test ? r.test + ' · ' : ''}${ref.name} · ${r.view === 'test' ? 'test' : r.view} · Stackviz`;
    if (r.view === 'timeline' && this.timeline && prev.view === 'timeline' && prev.run === r.run &&
      prev.time === r.time) {
      this.timeline.update(r);
      return;
    }
    this.generation++;
    this.timeline?.dispose();
    this.timeline = null;
    this.probe.view = null;
    clear(this.root);
    if (r.view === 'summary') this.showSummary(ref);
    else if (r.view === 'timeline') this.showTimeline(ref, r);
    else this.showTest(ref, r.test!);
  }

  /** A run name the folder does not have: say so, and link to the runs it has. */
  private unknownRun(r: Route): void {
    this.generation++;
    this.timeline?.dispose();
    this.timeline = null;
    this.probe.view = null;
    this.route = r;
    this.probe.route = r;
    clear(this.header);
    this.header.append(h('span', { cls: 'brand' }, 'Stackviz'));
    clear(this.root);
    document.title = 'Unknown run · Stackviz';
    const runs = this.index!.runs;
    this.root.append(h('section', { cls: 'not-found' },
      h('p', { cls: 'error' }, `This folder has no run named ${JSON.stringify(r.run)}.`),
      h('p', null, `It has ${plural(runs.length, 'run')}:`),
      h('ul', null, ...runs.map((x) => h('li', null,
        h('a', { href: formatHash({ ...emptyRoute(), run: x.name }) }, x.name), ' · ',
        h('a', { href: formatHash({ ...emptyRoute(), run: x.name, view: 'timeline' }) }, 'timeline'))))));
  }

  private renderHeader(ref: RunRef): void {
    clear(this.header);
    const runs = this.index!.runs;
    const view = this.route.view;
    const nav = h('nav', null,
      h('a', { href: this.link({ view: 'summary' }), cls: view === 'summary' ? 'on' : '' }, 'Summary'),
      h('a', { href: this.link({ view: 'timeline' }), cls: view === 'timeline' ? 'on' : '' }, 'Timeline'),
      view === 'test' ? h('a', { href: location.hash, cls: 'on', title: this.route.test || '' }, 'Test details') : null);
    this.header.append(h('span', { cls: 'brand' }, 'Stackviz'));
    if (runs.length > 1) {
      const sel = h('select', { cls: 'run-select', title: 'test run', onchange: () => {
        location.hash = formatHash({ ...emptyRoute(), run: runs[sel.selectedIndex].name, view: this.route.view === 'test' ? 'summary' : this.route.view });
      } });
      runs.forEach((r) => {
        const o = h('option', null, r.name);
        o.selected = r === ref;
        sel.append(o);
      });
      this.header.append(sel);
    } else {
      this.header.append(h('span', { cls: 'run-name' }, ref.name));
    }
    this.header.append(nav);
    const time = h('select', { cls: 'time-mode', title: 'how times are shown', onchange: () => {
      location.hash = formatHash({ ...this.route, time: TIME_MODES[time.selectedIndex] });
    } });
    for (const m of TIME_MODES) {
      const o = h('option', { value: m }, `times: ${TIME_MODE_LABELS[m]}`);
      o.selected = m === this.route.time;
      time.append(o);
    }
    this.header.append(time);
    const meta = Object.entries(ref.metadata).filter(([k]) => k !== 'log_url');
    if (meta.length) this.header.append(h('span', { cls: 'meta' }, meta.map(([k, v]) => `${k}: ${v}`).join(' · ')));
  }

  private async showSummary(ref: RunRef): Promise<void> {
    const gen = this.generation;
    const box = h('div');
    this.root.append(box);
    // The first screen boot.js painted, taken over (once) while the route is the same.
    const painted = this.handoff?.first?.painted;
    if (painted && this.handoff!.first!.run === ref.name && painted.hash === location.hash) {
      this.handoff!.first!.painted = null;
      box.append(painted.box);
      const stats = await this.store.firstScreenOf(ref);
      if (gen === this.generation && stats) this.summaryOfStats(ref, box, stats, true, true);
      return;
    }
    const links = this.links(ref.name);
    // v1 stats carry counts and messages: the summary shows from them alone; v2 has
    // its first screen (a few KB) for that. The tests (timeline or raw.json), and then
    // the whole v2 stats, are asked for only then, so that they do not compete with it
    // for the connection.
    const first = await this.store.firstScreenOf(ref).catch(() => null);
    const stats = first || await this.store.statsOf(ref).catch(() => null);
    if (gen !== this.generation) return;
    // v2 stats carry the workers table and the slowest tests: the summary needs
    // nothing else (the run's tests are loaded by the views that show them).
    if (statsSuffice(stats)) {
      this.summaryOfStats(ref, box, stats!, !!first);
      return;
    }
    const runP = this.store.runOf(ref);
    runP.catch(() => null);
    const quick = quickSummary(stats, links, this.summaryFilter());
    if (quick) {
      box.append(quick);
      this.mark('summary');
    } else {
      box.append(h('p', { cls: 'muted loading' }, 'Loading the tests…'));
    }
    try {
      const run = await runP;
      const full = first ? await this.store.statsOf(ref).catch(() => null) : stats;
      if (gen !== this.generation) return;
      clear(box);
      // The full summary replaces the quick one: keep the filter the user typed meanwhile.
      box.append(fullSummary(run, full, links, this.summaryFilter()));
      this.mark('summary');
      this.mark('summary-full');
      this.serviceBadges(ref, box);
    } catch (e) {
      if (gen !== this.generation) return;
      clear(box);
      if (quick) box.append(quick);
      this.fail(e, box);
    }
  }

  /** The summary from the stats alone: the first screen's (``partial``: P-summary.js),
   *  then the whole stats' (every listed test of a group). ``shown``: the first screen
   *  is in ``box`` already (boot.js painted it). */
  private async summaryOfStats(ref: RunRef, box: HTMLElement, stats: Stats, partial: boolean,
                               shown = false): Promise<void> {
    const gen = this.generation;
    const links = this.links(ref.name);
    if (!shown) box.append(quickSummary(stats, links, this.summaryFilter())!);
    this.mark('summary');
    const full = partial ? await this.store.statsOf(ref).catch(() => null) : null;
    if (gen !== this.generation) return;
    const whole = full && quickSummary(full, links, this.summaryFilter());
    if (whole) {
      // The whole summary replaces the first screen: keep the filter typed meanwhile.
      clear(box);
      box.append(whole);
    }
    this.mark('summary-full');
    this.serviceBadges(ref, box);
  }

  /** The failures' "N service errors" badges come with the index, after the summary. */
  private serviceBadges(ref: RunRef, box: HTMLElement): void {
    if (!ref.services) return;
    const gen = this.generation;
    this.store.serviceIndexOf(ref).then((index) => {
      if (index && gen === this.generation) addErrorBadges(box, index);
    }, (e) => this.probe.errors.push(String(e)));
  }

  private async showTimeline(ref: RunRef, r: Route): Promise<void> {
    const gen = this.generation;
    this.root.append(h('p', { cls: 'muted loading' }, 'Loading the tests…'));
    try {
      const run = await this.store.runOf(ref);
      if (gen !== this.generation) return;
      clear(this.root);
      setTimeMode(r.time, run.core.start);
      if (r.test && !run.byId.has(r.test)) this.root.append(this.unknownTest(ref, r.test));
      const view = new TimelineView(this.store, (name) => this.links(name), run, r);
      this.timeline = view;
      this.probe.view = view;
      this.root.append(view.el);
      view.mount();
      this.mark('timeline');
    } catch (e) {
      if (gen !== this.generation) return;
      clear(this.root);
      this.fail(e);
    }
  }

  /** A test id the run does not have: say so, with links onward. */
  private unknownTest(ref: RunRef, id: string): HTMLElement {
    const words = id.split(/[.\[\s(]/).filter(Boolean);
    const guess = words.length ? words[words.length - 1] : id;
    this.probe.errors.push(`unknown test ${id}`);
    return h('div', { cls: 'not-found' },
      h('p', { cls: 'error' }, `The run ${ref.name} has no test with id ${JSON.stringify(id)}.`),
      h('p', null, 'Go to ',
        h('a', { href: formatHash({ ...emptyRoute(), run: ref.name }) }, 'the summary'), ', ',
        h('a', { href: formatHash({ ...emptyRoute(), run: ref.name, view: 'timeline' }) }, 'the timeline'),
        ', or ', h('a', { href: formatHash({ ...emptyRoute(), run: ref.name, view: 'timeline', q: guess }) },
          `search the timeline for ${JSON.stringify(guess)}`), '.'));
  }

  private async showTest(ref: RunRef, id: string): Promise<void> {
    // v2: the id index finds the test's shard: neither the timeline nor raw.json is needed.
    if (hasIdIndex(ref) && await this.showTestAlone(ref, id)) return;
    const gen = this.generation;
    try {
      const run = await this.store.runOf(ref);
      const stats = await this.store.statsOf(ref).catch(() => null);
      if (gen !== this.generation) return;
      setTimeMode(this.route.time, run.core.start);
      const test = run.byId.get(id) || run.tests.find((t) => t.name === id);
      if (!test) {
        this.root.append(this.unknownTest(ref, id));
        return;
      }
      this.renderTest(ref, test, this.store.detailsOf(run, test.id), failureOrder(readTriage(stats, run)));
    } catch (e) {
      if (gen !== this.generation) return;
      this.fail(e);
    }
  }

  /** A test's details from its v2 entry alone. False when the index has no such id:
   *  an old link may name the test by its name, which only the run can look up. */
  private async showTestAlone(ref: RunRef, id: string): Promise<boolean> {
    const gen = this.generation;
    try {
      // Previous / next failure come from the small failure list (P-failures.js), or
      // from stats.json when it is already loaded: stats.json can weigh a megabyte
      // (727 KB at 100,000 tests), twice the page's budget.
      const listArt = runArtifact(this.config, ref.name, 'stackviz-failures');
      const listP = listArt ? this.store.failureListOf(listArt).catch(() => null) : Promise.resolve(null);
      const [entry, list] = await Promise.all([this.store.entryOf(ref, id), listP]);
      let stats = list ? null : await (this.store.statsIfAsked(ref) || Promise.resolve(null)).catch(() => null);
      if (!list && !stats && this.route.time === 'rel') stats = await this.store.statsOf(ref).catch(() => null);
      if (gen !== this.generation) return true;
      // The entry read as raw.json's entries are: a one-test run gives its Test.
      const test = entry ? buildRun(ref, [entry], null).tests[0] : null;
      if (!test) return false;
      const start = parseIso(list ? list.start : stats?.start);
      setTimeMode(this.route.time, isNaN(start) ? test.start : start);
      const order = list ? list.ids : stats ? failureOrder(readTriage(stats, null)) : null;
      const el = this.renderTest(ref, test, Promise.resolve(attachmentsOf(entry)), order);
      if (!order && [FAIL, UXSUCCESS, INPROGRESS].includes(test.status)) {
        // No failure list: stats.json is fetched only when the pager is used.
        el.prepend(pagerOnDemand(() => this.store.statsOf(ref).then(
          (s) => this.stepLinks(ref, test, failureOrder(readTriage(s, null)))), this.link({ view: 'summary' })));
      }
    } catch (e) {
      if (gen === this.generation) this.fail(e);
    }
    return true;
  }

  /** Links to the previous / next failure in `order` (the summary's). */
  private stepLinks(ref: RunRef, test: Test, order: string[]): DetailsLinks {
    const links = this.links(ref.name);
    const at = order.indexOf(test.id);
    const step = (d: number) => (at >= 0 && order[at + d] !== undefined ? links.test(order[at + d]) : null);
    return {
      timeline: links.timeline(test.id), page: null,
      prev: step(-1), next: step(1),
      position: at >= 0 ? `failure ${at + 1} of ${order.length}` : null,
      summary: this.link({ view: 'summary' }),
    };
  }

  /** The details of one test; `order`: the failure order for the pager (null: none yet). */
  private renderTest(ref: RunRef, test: Test, details: Promise<Attachments | null>, order: string[] | null): HTMLElement {
    const links = order ? this.stepLinks(ref, test, order)
      : { timeline: this.links(ref.name).timeline(test.id), page: null, summary: this.link({ view: 'summary' }) };
    const el = renderDetails(test, details, links, ref.services ? this.store.serviceViewOf(ref, test.id) : null);
    this.root.append(el);
    this.mark('details');
    return el;
  }
}
