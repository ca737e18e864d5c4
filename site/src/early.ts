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

// Requests made as the page starts: the first module of the page's inline script
// (bootstart.ts) calls startEarly(), which asks for config.json, then for the first
// screen's data script, before the rest of the page's code has run; the page's code
// (boot.ts, app.js's data source) takes the answers over here.
import { parseHash } from './route';
import { xhrFetch } from './xhr';
import type { DecodeMessage } from './timelinedecode';
import { EarlyWorker, workerFrom } from './workerstart';

type Answer = ReturnType<typeof xhrFetch>;
/** Requests on their way, by URL (relative to the page). */
export type EarlyAnswers = Record<string, Answer>;

/** The URL of a data file, as the page's HttpSource asks for it. */
export function earlyKey(path: string): string {
  return `data/${path}`;
}

function answers(): EarlyAnswers | null {
  return (globalThis as unknown as { __stackvizEarly?: EarlyAnswers }).__stackvizEarly || null;
}

/** Over HTTP, ask for data/config.json now and, as soon as it is in, on a run's
 *  summary for the summary's first screen, on its timeline for the v2 timeline
 *  (it downloads while app.js loads and the timeline worker starts; the worker is
 *  handed its bytes and reads them as it would read its own fetch), before the rest
 *  of the page's code has run. From file:// nothing: the twins are loaded with
 *  <script> by the page's code. */
export function startEarly(): void {
  if (location.protocol === 'file:' || answers()) return;
  const got: EarlyAnswers = {};
  (window as unknown as { __stackvizEarly: EarlyAnswers }).__stackvizEarly = got;
  const ask = (path: string, answer = xhrFetch(earlyKey(path))) => {
    answer.catch(() => null);
    got[earlyKey(path)] = answer;
  };
  const route = parseHash(location.hash);
  const type = route.view === 'summary' ? 'stackviz-summary' : route.view === 'timeline' ? 'stackviz-timeline' : null;
  // The next request is made before anyone is handed config.json: whoever reads it
  // finds that request on its way.
  ask('config.json', xhrFetch(earlyKey('config.json')).then(async (res) => {
    try {
      const art = res.ok && type ? firstArtifact(JSON.parse(await res.text()), route.run || null, type) : null;
      // A first screen inline in config.json needs no request; a big run's timeline
      // is fetched and decoded by a worker started now, not when app.js runs.
      if (art && !inlineData(art) && !(type === 'stackviz-timeline' && decodeEarly(art))) ask(art.path);
    } catch {
      // A damaged config.json: the page's code says so when it reads it.
    }
    return res;
  }));
}

/** The file the early worker is started from, next to index.html (built by build.mjs). */
export const WORKER_FILE = 'timeline-worker.js';

/** Starts the timeline worker from its own file and asks it for ``art``'s timeline,
 *  when the run is big enough to be decoded off the page: it streams, inflates and
 *  decodes the file while app.js loads (started from app.js, it got its request 100
 *  to 150 ms later). False when it could not be started. The worker's answer waits
 *  in ``__stackvizWorker`` for the page's code (timelineload.ts). */
function decodeEarly(art: { path: string; count?: unknown }): boolean {
  if (typeof art.count !== 'number' || art.count < workerFrom()) return false;
  // app.js ran first (config.json was slow) and started its own worker: the page's
  // early request is what it will take, as for a small run.
  if ((globalThis as unknown as { __stackvizWorker?: unknown }).__stackvizWorker === null) return false;
  try {
    const worker = new Worker(WORKER_FILE);
    const early: EarlyWorker = { worker, url: new URL(earlyKey(art.path), location.href).href, replies: [], failed: false };
    worker.onmessage = (e) => early.replies.push(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      early.failed = true;
    };
    // Number 0: the page's own requests are numbered from 1 (timelineload.ts).
    const request: DecodeMessage = { n: 0, req: { path: art.path, url: early.url } };
    worker.postMessage(request);
    (globalThis as unknown as { __stackvizWorker: EarlyWorker }).__stackvizWorker = early;
    return true;
  } catch {
    return false;
  }
}

/** The worker started early, taken once (null: none, or it failed before it was taken);
 *  none is started after this is called. */
export function takeEarlyWorker(): EarlyWorker | null {
  const w = globalThis as unknown as { __stackvizWorker?: EarlyWorker | null };
  const early = w.__stackvizWorker || null;
  w.__stackvizWorker = null;
  if (early?.failed) early.worker.terminate();
  return early && !early.failed ? early : null;
}

/** The answer to a request made early for ``url``, taken once; null when none was made. */
export function takeEarly(url: string): Answer | null {
  const got = answers();
  const answer = got ? got[url] : undefined;
  if (!got || !answer) return null;
  delete got[url];
  return answer;
}

/** xhrFetch, which answers with a request made early when there is one. */
export function earlyFetch(url: string): Answer {
  return takeEarly(url) || xhrFetch(url);
}

/** The artifact of type ``type`` of run ``run`` (null: the first run that has one) in
 *  a parsed config.json, null when there is none: what the inline script asks for
 *  before the page's code has read config.json (readConfig checks it then). */
/** The data an artifact entry carries inline (``inline``: an object), or null. */
export function inlineData(art: { inline?: unknown } | null | undefined): Record<string, unknown> | null {
  const data = art?.inline;
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? data as Record<string, unknown> : null;
}

export function firstArtifact(config: unknown, run: string | null, type: string): { path: string; count?: unknown; inline?: unknown } | null {
  const datasets = (config as { datasets?: unknown })?.datasets;
  if (!Array.isArray(datasets)) return null;
  for (const ds of datasets) {
    const arts = (ds as { artifacts?: unknown })?.artifacts;
    if (!Array.isArray(arts)) continue;
    for (const a of arts) {
      if (a && a.artifact_type === type && typeof a.path === 'string' && (run === null || a.artifact_name === run)) return a;
    }
  }
  return null;
}
