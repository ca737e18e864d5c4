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

// The page's side of timeline decoding: the worker the page's first script started
// from its own file (HTTP, a big run's timeline route: early.ts), else one started
// from the embedded source (a Blob URL works over HTTP and from file://). When no
// worker can be started, or one dies, the same decoding runs on the page.
import { TestColumns } from './columns';
import { takeEarlyWorker } from './early';
import { DecodeReply, DecodeRequest, decodeTimeline, fetchOr, unpack } from './timelinedecode';
import { workerFrom } from './workerstart';

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

export class TimelineDecoder {
  /** undefined: not started yet; null: no worker, decoding on the page */
  private worker: Worker | null | undefined;
  private count = 0;
  private waiting = new Map<number, Waiting>();
  /** The URL the early worker was asked for (its request number 0), until asked here. */
  private earlyUrl: string | null = null;
  /** Replies to that request which came before it was asked for here. */
  private early: DecodeReply[] = [];
  /** The worker is the early one: if it fails, one from the embedded source is tried. */
  private fromFile = false;

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
    if ('url' in req && req.url === this.earlyUrl) {
      // Asked for already by the page's first script: its answer, now or when it comes.
      this.earlyUrl = null;
      return new Promise((resolve, reject) => {
        this.waiting.set(0, { req, resolve, reject });
        for (const r of this.early.splice(0)) this.answer(r);
      });
    }
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
    const early = takeEarlyWorker();
    if (early) {
      this.earlyUrl = early.url;
      this.early = early.replies;
      this.fromFile = true;
      this.listen(early.worker);
      return early.worker;
    }
    try {
      const url = URL.createObjectURL(new Blob([__TIMELINE_WORKER__], { type: 'text/javascript' }));
      this.listen(new Worker(url));
    } catch {
      // No Worker, or a policy that refuses it: the page decodes.
      this.worker = null;
    }
    return this.worker ?? null;
  }

  private listen(w: Worker): void {
    w.onmessage = (e: MessageEvent<DecodeReply>) => this.answer(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.fallBack();
    };
    this.worker = w;
  }

  private answer(r: DecodeReply): void {
    const w = this.waiting.get(r.n);
    if (!w) {
      // The early request's answer, before the page asked for it.
      if (r.n === 0 && this.earlyUrl) this.early.push(r);
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

  /** The worker failed to load or died: what it had is decoded on the page, or by a
   *  worker from the embedded source when the early one failed (its file refused). */
  private fallBack(): void {
    this.worker?.terminate();
    const retry = this.fromFile;
    this.fromFile = false;
    this.earlyUrl = null;
    this.worker = retry ? undefined : null;
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) (retry ? this.decode(w.req) : decodeHere(w.req)).then(w.resolve, w.reject);
  }
}
