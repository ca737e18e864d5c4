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
import { DecodeReply, DecodeRequest, decodeTimeline, unpack } from './timelinedecode';
import { EARLY_REQUEST, EarlyWorker, newTimelineWorker, takeEarlyWorker, workerFrom } from './early';

export { workerFrom };

interface Waiting {
  req: DecodeRequest;
  resolve: (c: TestColumns) => void;
  reject: (e: Error) => void;
}

function decodeHere(req: DecodeRequest): Promise<TestColumns> {
  return decodeTimeline(req, (url) => fetch(url));
}

export class TimelineDecoder {
  /** undefined: not started yet; null: no worker, decoding on the page */
  private worker: Worker | null | undefined;
  private count = 0;
  private waiting = new Map<number, Waiting>();
  /** the inline script's worker, once taken over */
  private early: EarlyWorker | null = null;

  /** Starts the worker ahead of the first request (its start-up overlaps other loading). */
  warm(): void {
    this.start();
  }

  /** ``count``: the run's tests, when config.json says. */
  decode(req: DecodeRequest, count?: number): Promise<TestColumns> {
    this.start();
    const early = this.earlyAnswer(req);
    if (early) return early;
    // A small payload already here (file://) decodes on the page in a few ms: handing
    // it to a worker only adds a round trip, which a page driven by virtual time (a
    // headless --dump-dom --virtual-time-budget check) may never wait for.
    const from = workerFrom();
    if (('payload' in req && req.payload.length < from * 52) || (count !== undefined && count < from)) {
      return decodeHere(req);
    }
    const w = this.start();
    if (!w) return decodeHere(req);
    return new Promise((resolve, reject) => {
      const n = ++this.count;
      this.waiting.set(n, { req, resolve, reject });
      // Bytes already fetched go to the worker without a copy (a fallback fetches them again).
      w.postMessage({ n, req }, 'bytes' in req && req.bytes ? [req.bytes] : []);
    });
  }

  private start(): Worker | null {
    if (this.worker !== undefined) return this.worker;
    // The worker the page's inline script started (timeline view), else a new one.
    const early = takeEarlyWorker();
    this.early = early;
    const w = early ? (early.failed ? null : early.worker) : newTimelineWorker();
    if (w) {
      w.onmessage = (e: MessageEvent<DecodeReply>) => this.answer(e.data);
      w.onerror = (e) => {
        e.preventDefault();
        this.fallBack();
      };
    } else {
      early?.worker.terminate();
    }
    this.worker = w;
    return w;
  }

  /** The inline script's request, when ``req`` is the one it made: its answer. */
  private earlyAnswer(req: DecodeRequest): Promise<TestColumns> | null {
    const early = this.early;
    if (!early || early.path !== req.path || !('url' in req)) return null;
    early.path = null;
    return new Promise((resolve, reject) => {
      this.waiting.set(EARLY_REQUEST, { req, resolve, reject });
      if (!this.worker) this.fallBack();
      for (const r of early.replies.splice(0)) this.answer(r as DecodeReply);
    });
  }

  private answer(r: DecodeReply): void {
    const w = this.waiting.get(r.n);
    if (!w) {
      // The inline script's request answered before the app asked for it: kept.
      if (r.n === EARLY_REQUEST && this.early) this.early.replies.push(r);
      return;
    }
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
