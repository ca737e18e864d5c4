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

// The data store between the files and the views: each file is fetched and parsed
// once, whatever view asks for it. Views take the RunStore interface, not the app.
import { Dstat, parseDstat } from './dstat';
import { inlineData, takeEarly } from './early';
import { Attachments } from './details';
import { Artifact, FailureList, RawEntry, ShardFile, Stats, TestShard, readFailureList, readStats } from './format';
import { Bucket, hashNamed, readBucket, shardsFor } from './idindex';
import { ScriptSource, Source } from './loader';
import { Index, Run, RunRef, TestColumns, buildRun, runOfColumns } from './model';
import { ServiceIndex, ServiceView, readServiceIndex, readServiceLines } from './servicelogs';
import { TimelineDecoder } from './timelineload';

/** JSON.parse with the file named in its error: a damaged file says which it is. */
export function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

/** o[key] when o has it as its own key ("constructor" is no test of a shard). */
function own<T>(o: Record<string, T>, key: string): T | null {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : null;
}

/** A v2 entry's attachments: its "details" object's text values. */
export function attachmentsOf(entry: RawEntry | null): Attachments | null {
  const d = entry ? entry.details : null;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null;
  const out: Attachments = {};
  for (const [k, v] of Object.entries(d)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Does the run have a v2 id index this site can read (a known hash, buckets, shards)? */
export function hasIdIndex(ref: RunRef): boolean {
  const ids = ref.ids;
  return !!ids && !!ref.tests && hashNamed(ids.hash) !== null &&
    Number.isInteger(ids.bucket_count) && ids.bucket_count! >= 1;
}

/** What the views may ask of the loaded data. */
export interface RunStore {
  readonly dstatProblems: string[];
  statsOf(ref: RunRef): Promise<Stats | null>;
  runOf(ref: RunRef): Promise<Run>;
  dstatOf(run: Run): Promise<Dstat[]>;
  detailsOf(run: Run, id: string): Promise<Attachments | null>;
  /** v2: one test's entry through the id index, without the run (null: none). */
  entryOf(ref: RunRef, id: string): Promise<RawEntry | null>;
  serviceIndexOf(ref: RunRef): Promise<ServiceIndex | null>;
  serviceViewOf(ref: RunRef, id: string): Promise<ServiceView | null>;
}

/** The RunStore over a Source (HTTP or file://), with its caches. */
export class FetchingStore implements RunStore {
  private stats = new Map<string, Promise<Stats | null>>();
  /** stats.json once loaded (null: unreadable), by run */
  private statsIn = new Map<string, Stats | null>();
  private firstScreens = new Map<string, Promise<Stats | null>>();
  private summaries = new Map<string, Promise<Stats | null>>();
  private runs = new Map<string, Promise<Run>>();
  private dstat: Promise<Dstat[]> | null = null;
  readonly dstatProblems: string[] = [];
  private shards = new Map<string, Promise<unknown>>();
  private services = new Map<string, Promise<ServiceIndex | null>>();
  private buckets = new Map<string, Promise<Bucket>>();
  /** ``index``: the loaded config (asked for only once it is loaded); ``mark``: timing
   * marks for the page's probe; ``decoder``: decodes v2 timelines off the main thread
   * (main.ts starts one as app.js runs). */
  constructor(private source: Source, private index: () => Index,
              private mark: (name: string) => void, readonly decoder = new TimelineDecoder()) {
    // The worker starts while config.json loads: ready when the timeline is asked for.
    // (Started later, on the summary, chromium's --dump-dom with a virtual time
    // budget gave up before the run arrived.)
    this.decoder.warm();
  }

  statsOf(ref: RunRef): Promise<Stats | null> {
    let p = this.stats.get(ref.name);
    if (!p) {
      p = ref.stats
        ? this.source.text(ref.stats.path, ref.stats.script_path).then((t) => readStats(parseJson(ref.stats!.path, t)))
        : Promise.resolve(null);
      // Before any other reader of p: a run built without them finds them loaded.
      p.then((v) => this.statsIn.set(ref.name, v), () => this.statsIn.set(ref.name, null));
      this.stats.set(ref.name, p);
    }
    return p;
  }

  /** v2: the summary's first screen (P-summary.js), loaded once (null: none). */
  private summaryOf(ref: RunRef): Promise<Stats | null> {
    let p = this.summaries.get(ref.name);
    if (!p) {
      const art = ref.summary;
      const inline = inlineData(art);   // the first run's, in config.json
      p = inline ? Promise.resolve(readStats(inline))
        : art ? this.source.text(art.path, art.script_path).then((t) => readStats(parseJson(art.path, t))) : Promise.resolve(null);
      this.summaries.set(ref.name, p);
    }
    return p;
  }

  /** v2: the summary's first screen (stats cut short), null when the run has none. */
  firstScreenOf(ref: RunRef): Promise<Stats | null> {
    const art = ref.summary;
    const given = this.firstScreens.get(ref.name);
    if (given) {
      this.firstScreens.delete(ref.name);
      if (!this.summaries.has(ref.name)) this.summaries.set(ref.name, given);
      return given;
    }
    if (!art) return Promise.resolve(null);
    return this.summaryOf(ref);
  }

  /** The first screen of run ``name``, loaded already (by boot.js): taken once. */
  firstScreenFrom(name: string, stats: Promise<Stats | null>): void {
    this.firstScreens.set(name, stats);
  }

  /** stats.json when it is loaded or on its way, else null (nothing is fetched). */
  statsIfAsked(ref: RunRef): Promise<Stats | null> | null {
    return this.stats.get(ref.name) || null;
  }

  /** v2: a run's failure order (P-failures.js), loaded once. */
  failureListOf(art: Artifact): Promise<FailureList> {
    return this.shardOf<unknown>(art.path, art.script_path || art.path).then((v) => {
      const list = readFailureList(v);
      if (!list) throw new Error(`${art.path} is not a failure list`);
      return list;
    });
  }

  runOf(ref: RunRef): Promise<Run> {
    let p = this.runs.get(ref.name);
    if (!p) {
      const timeline = ref.timeline;
      if (timeline && ref.summary && !this.stats.has(ref.name)) {
        // The run itself needs the stats' start, end and warnings only, which the
        // summary's first screen (tens of KB of plain json) has: the whole stats
        // (MBs to inflate and parse on this thread while the timeline is decoded) are
        // read by the views that list failures and skips, and the run's failures and
        // skips come from them once loaded.
        const first = this.summaryOf(ref).catch(() => null);
        p = Promise.all([this.timelineOf(timeline), first])
          .then(([c, s]) => this.built(runOfColumns(ref, c, s, timeline.path, () => this.statsIn.get(ref.name))));
      } else {
        // A damaged stats.json must not hide the tests.
        const stats = this.statsOf(ref).catch(() => null);
        p = timeline
          ? Promise.all([this.timelineOf(timeline), stats]).then(([c, s]) => this.built(runOfColumns(ref, c, s, timeline.path)))
          : Promise.all([this.rawOf(ref.raw!), stats]).then(([r, s]) => this.built(buildRun(ref, r, s)));
      }
      this.runs.set(ref.name, p);
    }
    return p;
  }

  private built(run: Run): Run {
    this.mark('run-built');
    return run;
  }

  /** raw.json (v1 and classic data), parsed on the page. */
  private rawOf(raw: Artifact): Promise<unknown> {
    return this.source.text(raw.path, raw.script_path).then((t) => {
      this.mark('raw-text');
      const parsed = parseJson(raw.path, t);
      this.mark('raw-parsed');
      return parsed;
    });
  }

  /** The v2 timeline's columns, decoded off the main thread: over HTTP the worker
   * fetches the data script itself; from file:// a <script> delivers it here. */
  private async timelineOf(art: Artifact): Promise<TestColumns> {
    const source = this.source;
    let cols: Promise<TestColumns>;
    if (source instanceof ScriptSource) {
      const { encoding, payload } = await source.payload(art.path, art.script_path || art.path);
      cols = this.decoder.decode({ path: art.path, encoding, payload });
    } else {
      source.requested.push(art.path);
      const count = typeof art.count === 'number' ? art.count : undefined;
      // Asked for already by the page's inline script (early.ts): its bytes, when they come.
      const early = takeEarly(source.base + art.path);
      const bytes = early ? early.then((r) => (r.ok ? r.arrayBuffer() : null), () => null) : null;
      cols = this.decoder.decode({ path: art.path, url: new URL(source.base + art.path, location.href).href }, count, bytes);
    }
    const got = await cols;
    this.mark('timeline-decoded');
    return got;
  }

  dstatOf(run: Run): Promise<Dstat[]> {
    if (!this.dstat) {
      const near = run.start;
      this.dstat = Promise.all(this.index().dstat.map(async (d) => {
        try {
          return parseDstat(await this.source.text(d.artifact.path, d.artifact.script_path), d.node, near);
        } catch (e) {
          // Shown above the graphs; the rest of the page works without them.
          this.dstatProblems.push(`Resource graphs of node ${d.node} unavailable: ${(e as Error).message}`);
          return null;
        }
      })).then((l) => l.filter((d): d is Dstat => d !== null));
    }
    return this.dstat;
  }

  detailsOf(run: Run, id: string): Promise<Attachments | null> {
    const test = run.byId.get(id);
    if (run.ref.tests) {
      // v2: the test's own shard when the run knows it, else through the id index.
      const entry = test && test.shard !== null ? this.testShard(run.ref, test.shard).then((o) => own(o, id))
        : this.entryOf(run.ref, id);
      return entry.then(attachmentsOf);
    }
    const shardIndex = run.ref.shards;
    if (shardIndex && typeof shardIndex.shard_count === 'number') {
      if (!test || test.shard === null) return Promise.resolve(null);
      const path = `${shardIndex.path}${test.shard}${shardIndex.suffix || '.json'}`;
      return this.shardOf(path, `${shardIndex.path}${test.shard}.js`).then((o) => o[id] || null);
    }
    const mono = run.ref.details;
    if (mono) {
      return this.shardOf(mono.path, mono.script_path || null).then((o) => o[id] || (test && o[test.name]) || null);
    }
    return Promise.resolve(null);
  }

  /**
   * v2: a test's entry (its raw.json entry plus "details") found through the id
   * index, without the timeline: the id's bucket, then the shards its hash names
   * (several only on a hash collision). null: no such test, or no index this site
   * can read (an unknown hash counts as no index).
   */
  async entryOf(ref: RunRef, id: string): Promise<RawEntry | null> {
    const ids = ref.ids;
    const hash = hasIdIndex(ref) ? hashNamed(ids!.hash) : null;
    if (!hash) return null;
    const count = ids!.bucket_count!;
    const h = hash(id);
    const path = `${ids!.path}${h % count}${ids!.suffix || '.js'}`;
    let bucket = this.buckets.get(path);
    if (!bucket) {
      bucket = this.source.text(path, path).then((t) => {
        const b = readBucket(parseJson(path, t));
        if (!b) throw new Error(`${path} is not an id index bucket`);
        return b;
      });
      bucket.catch(() => this.buckets.delete(path));
      this.buckets.set(path, bucket);
    }
    for (const k of shardsFor(await bucket, h)) {
      const entry = own(await this.testShard(ref, k), id);
      if (entry) return entry;
    }
    return null;
  }

  /** v2 test shard k of a run. */
  private testShard(ref: RunRef, k: number): Promise<TestShard> {
    const art = ref.tests!;
    if (!Number.isInteger(k) || k < 0 || (typeof art.shard_count === 'number' && k >= art.shard_count)) {
      return Promise.reject(new Error(`${art.path}: no test shard ${k}`));
    }
    const path = `${art.path}${k}${art.suffix || '.js'}`;
    return this.shardOf<TestShard>(path, path);
  }

  /** The run's service log index, loaded once (null: the run has none). */
  serviceIndexOf(ref: RunRef): Promise<ServiceIndex | null> {
    let p = this.services.get(ref.name);
    if (!p) {
      const art = ref.services;
      p = art
        ? this.source.text(art.path, art.script_path).then((t) => readServiceIndex(parseJson(art.path, t)))
        : Promise.resolve(null);
      this.services.set(ref.name, p);
    }
    return p;
  }

  /** A test's service log lines: its shard is loaded only now. */
  async serviceViewOf(ref: RunRef, id: string): Promise<ServiceView | null> {
    const index = await this.serviceIndexOf(ref);
    const art = ref.services;
    if (!index || !art) return null;
    const entry = index.tests.get(id);
    if (!entry) return { index, lines: null };
    const base = art.shards || '';
    const shard = await this.shardOf(`${base}${entry[0]}${art.suffix || '.json'}`, `${base}${entry[0]}.js`);
    return { index, lines: readServiceLines((shard as Record<string, unknown>)[id]) };
  }

  private shardOf<T = ShardFile>(path: string, twin: string | null): Promise<T> {
    let p = this.shards.get(path);
    if (!p) {
      // renderDetails shows each attachment as text, whatever it holds.
      p = this.source.text(path, twin).then((t) => {
        const o = parseJson(path, t);
        if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${path} is not an object keyed by test id`);
        return o;
      });
      p.catch(() => this.shards.delete(path));
      this.shards.set(path, p);
    }
    return p as Promise<T>;
  }
}
