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

// The page's side of timeline decoding: a worker started from the embedded source
// (a Blob URL works over HTTP and from file://). When no worker can be started, or
// one dies, the same decoding runs on the page.
import { TestColumns } from './columns';
import { DecodeReply, DecodeRequest, decodeTimeline, fetchOr, unpack } from './timelinedecode';

/** The worker's bundle, put in by build.mjs. */
declare const __TIMELINE_WORKER__: string;

interface Waiting {
  req: DecodeRequest;
  resolve: (c: TestColumns) => void;
  reject: (e: Error) => void;
}

function decodeHere(req: DecodeRequest, bytes: Promise<ArrayBuffer | null> | null = null): Promise<TestColumns> {
  return decodeTimeline(req, fetchOr(bytes));
}

/** Runs of fewer tests than this are decoded on the page (config.json's count, or a
 * payload already here of under about 52 characters a test: 1 MB at 20,000 tests).
 * The browser tests set ``window.__stackvizWorkerFrom`` to try the worker on a small run. */
export function workerFrom(): number {
  const set = (globalThis as { __stackvizWorkerFrom?: unknown }).__stackvizWorkerFrom;
  return typeof set === 'number' ? set : 20000;
}

export class TimelineDecoder {
  /** undefined: not started yet; null: no worker, decoding on the page */
  private worker: Worker | null | undefined;
  private count = 0;
  private waiting = new Map<number, Waiting>();

  /** Starts the worker ahead of the first request (its start-up overlaps other loading). */
  warm(): void {
    this.start();
  }

  /** ``count``: the run's tests, when config.json says; ``bytes``: the file, fetched
   *  already (the page's inline script asks for it as soon as config.json is in:
   *  it downloads while app.js loads and the worker starts), null when it could not. */
  decode(req: DecodeRequest, count?: number, bytes: Promise<ArrayBuffer | null> | null = null): Promise<TestColumns> {
    // A small payload already here (file://) decodes on the page in a few ms: handing
    // it to a worker only adds a round trip, which a page driven by virtual time (a
    // headless --dump-dom --virtual-time-budget check) may never wait for.
    const from = workerFrom();
    if (('payload' in req && req.payload.length < from * 52) || (count !== undefined && count < from)) {
      return decodeHere(req, bytes);
    }
    const w = this.start();
    if (!w) return decodeHere(req, bytes);
    return new Promise((resolve, reject) => {
      const n = ++this.count;
      this.waiting.set(n, { req, resolve, reject });
      w.postMessage({ n, req, follows: !!bytes });
      // Handed over, not copied; a worker that died meanwhile fetches nothing (the
      // page decodes its requests, fetching them again).
      bytes?.then((b) => this.worker?.postMessage({ n, bytes: b }, b ? [b] : []));
    });
  }

  private start(): Worker | null {
    if (this.worker !== undefined) return this.worker;
    try {
      const url = URL.createObjectURL(new Blob([__TIMELINE_WORKER__], { type: 'text/javascript' }));
      const w = new Worker(url);
      w.onmessage = (e: MessageEvent<DecodeReply>) => this.answer(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        this.fallBack();
      };
      this.worker = w;
    } catch {
      // No Worker, or a policy that refuses it: the page decodes.
      this.worker = null;
    }
    return this.worker;
  }

  private answer(r: DecodeReply): void {
    const w = this.waiting.get(r.n);
    if (!w) return;
    this.waiting.delete(r.n);
    if (r.ok) {
      // The worker's steps, as performance marks of the page (the benchmark reads them).
      for (const [name, at] of r.phases) {
        performance.mark(`stackviz:worker-${name}`, { startTime: at - performance.timeOrigin });
      }
      w.resolve(unpack(r.packed));
      performance.mark('stackviz:worker-unpacked');
    }
    else w.reject(new Error(r.error));
  }

  /** The worker failed to load or died: what it had is decoded on the page. */
  private fallBack(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const w of this.waiting.values()) decodeHere(w.req).then(w.resolve, w.reject);
    this.waiting.clear();
  }
}
