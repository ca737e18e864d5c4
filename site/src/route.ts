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

// Hash routes, so every view has a deep link and any static server works.
//   #/<run>                      summary
//   #/<run>/timeline[/<test id>] timeline, optionally with a test selected
//   #/<run>/test/<test id>       test details
// Query after '?': q (search), st (hidden statuses), from/to (seconds into the run).
// t (time notation: utc, local or rel; utc when absent) is kept by every view.
// The classic site's #/<run>/test-details/<name> is read as a test route.

import { TimeMode, parseTimeMode, timeMode } from './timefmt';

export type View = 'summary' | 'timeline' | 'test';

export interface Route {
  run: string | null;
  view: View;
  test: string | null;
  q: string;
  hide: string[];
  from: number | null;
  to: number | null;
  time: TimeMode;
}

export function emptyRoute(): Route {
  // Links made from an empty route keep the notation in use.
  return { run: null, view: 'summary', test: null, q: '', hide: [], from: null, to: null, time: timeMode() };
}

function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function parseHash(hash: string): Route {
  const r = emptyRoute();
  let h = hash.replace(/^#!?/, '');
  const qi = h.indexOf('?');
  const query = qi >= 0 ? h.slice(qi + 1) : '';
  if (qi >= 0) h = h.slice(0, qi);
  const parts = h.split('/').filter((p, i) => i > 0 || p !== '');
  if (parts.length && parts[0] === '') parts.shift();
  if (parts.length > 0) r.run = dec(parts[0]);
  const view = parts[1];
  // A test id may itself contain '/', so the rest of the path is the id.
  const rest = parts.length > 2 ? dec(parts.slice(2).join('/')) : null;
  if (view === 'timeline') {
    r.view = 'timeline';
    r.test = rest;
  } else if (view === 'test' || view === 'test-details') {
    r.view = rest ? 'test' : 'summary';
    r.test = rest;
  }
  const params = new URLSearchParams(query);
  r.time = parseTimeMode(params.get('t'));
  r.q = params.get('q') || '';
  r.hide = (params.get('st') || '').split(',').filter(Boolean);
  const from = parseFloat(params.get('from') || '');
  const to = parseFloat(params.get('to') || '');
  if (isFinite(from) && isFinite(to) && to > from) {
    r.from = from;
    r.to = to;
  }
  return r;
}

export function formatHash(r: Route): string {
  if (!r.run) return '#/';
  let h = '#/' + encodeURIComponent(r.run);
  if (r.view === 'timeline') {
    h += '/timeline';
    if (r.test) h += '/' + encodeURIComponent(r.test);
  } else if (r.view === 'test' && r.test) {
    h += '/test/' + encodeURIComponent(r.test);
  }
  const params = new URLSearchParams();
  if (r.q) params.set('q', r.q);
  if (r.hide.length) params.set('st', r.hide.join(','));
  if (r.view === 'timeline' && r.from !== null && r.to !== null) {
    params.set('from', r.from.toFixed(3));
    params.set('to', r.to.toFixed(3));
  }
  if (r.time && r.time !== 'utc') params.set('t', r.time);
  const q = params.toString();
  return q ? h + '?' + q : h;
}
