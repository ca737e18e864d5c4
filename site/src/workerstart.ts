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

// What the page's first script (early.ts) and the timeline's loader (timelineload.ts)
// share about the timeline worker, kept small: the first script is inline.
import type { DecodeReply } from './timelinedecode';

/** A timeline worker the first script started, with the request it was sent (number
 *  0, ``url``) and the replies that came before the page's code took it over. */
export interface EarlyWorker {
  worker: Worker;
  url: string;
  replies: DecodeReply[];
  failed: boolean;
}

/** Runs of fewer tests than this are decoded on the page (config.json's count, or a
 * payload already here of under about 52 characters a test: 1 MB at 20,000 tests).
 * The browser tests set ``window.__stackvizWorkerFrom`` to try the worker on a small run. */
export function workerFrom(): number {
  const set = (globalThis as { __stackvizWorkerFrom?: unknown }).__stackvizWorkerFrom;
  return typeof set === 'number' ? set : 20000;
}
