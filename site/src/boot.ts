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

// The page's first script, inline in index.html's head (build.mjs puts it there and
// pins its sha256 in the Content-Security-Policy; a fraction of the app's size): it
// asks for config.json at once and, on the summary, paints the summary's first
// screen from the run's P-summary.js; only then does it add the app (app.js), which
// takes over what was loaded and painted (see Handoff). Evaluating the whole app
// first delayed the first paint by its evaluation time (80 ms on a busy 2-core
// machine); a boot.js file of its own cost one more request before config.json.
import './bootstart';   // the page runs it first, inline on its own; here it finds its requests sent
import { readStats } from './format';
import { inlineData } from './early';
import { Handoff, pageSource } from './handoff';
import { Source, twinPath } from './loader';
import { readConfig } from './model';
import { emptyRoute, formatHash, parseHash } from './route';
import { quickSummary, statsSuffice } from './summary';
import { setTimeMode } from './timefmt';
import { clear } from './dom';

function mark(handoff: Handoff, name: string): void {
  handoff.marks[name] = performance.now();
  performance.mark(`stackviz:${name}`);
}

/** The summary's first screen, painted from P-summary.js when the route is a run's
 *  summary and its stats carry the workers and slowest tests (else the app does it). */
async function firstScreen(source: Source, handoff: Handoff): Promise<void> {
  const route = parseHash(location.hash);
  if (route.view !== 'summary') return;
  const index = readConfig(JSON.parse(await handoff.config));
  const ref = route.run ? index.runs.find((r) => r.name === route.run) : index.runs[0];
  const art = ref?.summary;
  if (!ref || !art) return;
  // The first run's first screen is in config.json itself (no request); else its file.
  const inline = inlineData(art);
  const stats = inline ? Promise.resolve(readStats(inline))
    : source.text(art.path, art.script_path).then((t) => readStats(JSON.parse(t)));
  handoff.first = { run: ref.name, stats: stats.catch(() => null), painted: null };
  const got = await stats;
  await parsed();
  await frame();
  const root = document.getElementById('app');
  // The app replaces this with its own at once if the user moved on meanwhile.
  if (!got || !statsSuffice(got) || !root || formatHash(parseHash(location.hash)) !== formatHash(route)) return;
  setTimeMode(route.time);
  // as the app's links (App.links)
  const links = {
    test: (id: string) => formatHash({ ...emptyRoute(), run: ref.name, view: 'test', test: id }),
    timeline: (id: string | null) => formatHash({ ...emptyRoute(), run: ref.name, view: 'timeline', test: id }),
  };
  const filter = {
    q: route.q, hide: route.hide,
    onChange: (q: string, hide: string[]) => history.replaceState(null, '', formatHash({ ...route, run: ref.name, q, hide })),
  };
  // The workers and slowest tests tables (below the fold), after the first frame.
  const later = (build: () => void) => requestAnimationFrame(() => setTimeout(build, 0));
  const box = quickSummary(got, links, filter, later);
  if (!box) return;
  clear(root);
  root.append(box);
  handoff.first.painted = { hash: location.hash, box };
  mark(handoff, 'summary');
}

/** Resolved once the page has painted its first frame (that frame sets up the fonts:
 *  cheaper with a line of text than with the whole first screen); at once when it has. */
function frame(): Promise<void> {
  if (performance.getEntriesByType('paint').length) return Promise.resolve();
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100);   // no frame comes to a hidden page, nor to a DOM dump
  });
}

/** Resolved once the page's body is parsed (this script runs in the head). */
function parsed(): Promise<void> {
  if (document.readyState !== 'loading') return Promise.resolve();
  return new Promise((resolve) => document.addEventListener('DOMContentLoaded', () => resolve(), { once: true }));
}

function loadApp(): void {
  const s = document.createElement('script');
  s.src = 'app.js';
  document.head.append(s);
}

function boot(): void {
  const source = pageSource();
  const config = source.mode === 'file'
    ? source.text('config.json', twinPath('config.json')) : source.text('config.json');
  const handoff: Handoff = { config, requested: source.requested, marks: {}, first: null };
  config.catch(() => null);
  (window as unknown as { __stackvizBoot: Handoff }).__stackvizBoot = handoff;
  // The page's probe until the app's replaces it (same marks).
  (window as unknown as { __stackviz: unknown }).__stackviz = {
    marks: handoff.marks, errors: [], requested: source.requested, view: null, route: null,
  };
  // Painted (or not: an error, another view), the app comes next, after the frame
  // that shows the first screen (or a second later, if no frame comes: a hidden
  // page), so that evaluating app.js never delays that frame.
  // From file:// the app's own source takes over window.stackvizData: nothing of
  // boot.js may be on its way then (config.js included).
  const before = source.mode === 'file' ? config.catch(() => null) : Promise.resolve(null);
  firstScreen(source, handoff).catch(() => null).then(() => before).then(() => {
    if (!handoff.first?.painted) {
      loadApp();
      return;
    }
    let added = false;
    const add = () => {
      if (!added) loadApp();
      added = true;
    };
    requestAnimationFrame(() => setTimeout(add, 0));
    setTimeout(add, 1000);
  });
}

boot();
