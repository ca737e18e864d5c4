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

// Requests made before the page's code ran: the inline script of index.html
// (preboot.ts) asks for config.json, then for the first screen's data script, as
// the page starts; boot.js and app.js take the answers over here. Without that
// script (an index.html of an older site), boot.js asks for config.json from the
// first module of its bundle (bootstart.ts).
import { xhrFetch } from './xhr';

type Answer = ReturnType<typeof xhrFetch>;
/** Requests on their way, by URL (relative to the page). */
export type EarlyAnswers = Record<string, Answer>;

/** The URL of a data file, as the page's HttpSource asks for it. */
export function earlyKey(path: string): string {
  return `data/${path}`;
}

function answers(): EarlyAnswers | null {
  return (window as unknown as { __stackvizEarly?: EarlyAnswers }).__stackvizEarly || null;
}

/** Over HTTP, ask for data/config.json now, unless the inline script did. */
export function startConfig(): void {
  if (location.protocol === 'file:' || answers()) return;
  (window as unknown as { __stackvizEarly: EarlyAnswers }).__stackvizEarly = { [earlyKey('config.json')]: xhrFetch(earlyKey('config.json')) };
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

/** Path of the artifact of type ``type`` of run ``run`` (null: the first run that has
 *  one) in a parsed config.json, null when there is none: what the inline script asks
 *  for before the page's code has read config.json (readConfig checks it then). */
export function firstArtifactPath(config: unknown, run: string | null, type: string): string | null {
  const datasets = (config as { datasets?: unknown })?.datasets;
  if (!Array.isArray(datasets)) return null;
  for (const ds of datasets) {
    const arts = (ds as { artifacts?: unknown })?.artifacts;
    if (!Array.isArray(arts)) continue;
    for (const a of arts) {
      if (a && a.artifact_type === type && typeof a.path === 'string' && (run === null || a.artifact_name === run)) return a.path;
    }
  }
  return null;
}
