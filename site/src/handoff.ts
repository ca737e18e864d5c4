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

// What boot.js (the page's first script) hands to the app, and the page's data
// source, which both make.
import { Stats } from './format';
import { earlyFetch } from './early';
import { HttpSource, ScriptSource, Source } from './loader';

/** What boot.js hands to the app (window.__stackvizBoot). */
export interface Handoff {
  /** config.json's text, asked for as the page started */
  config: Promise<string>;
  /** the data paths boot.js asked for */
  requested: string[];
  /** timing marks (performance.now()) set before the app ran */
  marks: Record<string, number>;
  /** the first screen of a run's summary, when boot.js loaded one */
  first: { run: string; stats: Promise<Stats | null>; painted: { hash: string; box: HTMLElement } | null } | null;
}

/** The page's data source: XHR over HTTP, script twins from file://. */
export function pageSource(): Source {
  return location.protocol === 'file:'
    ? new ScriptSource('data/', document, window as Window & { stackvizData?: unknown })
    : new HttpSource('data/', earlyFetch);
}
