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
import { Attachments } from './details';
import { Artifact, ShardFile, Stats, readStats } from './format';
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

/** What the views may ask of the loaded data. */
export interface RunStore {
  readonly dstatProblems: string[];
  statsOf(ref: RunRef): Promise<Stats | null>;
  runOf(ref: RunRef): Promise<Run>;
  dstatOf(run: Run): Promise<Dstat[]>;
  detailsOf(run: Run, id: string): Promise<Attachments | null>;
  serviceIndexOf(ref: RunRef): Promise<ServiceIndex | null>;
  serviceViewOf(ref: RunRef, id: string): Promise<ServiceView | null>;
}

/** The RunStore over a Source (HTTP or file://), with its caches. */
export class FetchingStore implements RunStore {
  private stats = new Map<string, Promise<Stats | null>>();
  private runs = new Map<string, Promise<Run>>();
  private dstat: Promise<Dstat[]> | null = null;
  readonly dstatProblems: string[] = [];
  private shards = new Map<string, Promise<ShardFile>>();
  private services = new Map<string, Promise<ServiceIndex | null>>();
  /** decodes v2 timelines off the main thread */
  readonly decoder = new TimelineDecoder();

  /** ``index``: the loaded config (asked for only once it is loaded); ``mark``: timing
   * marks for the page's probe. */
  constructor(private source: Source, private index: () => Index,
              private mark: (name: string) => void) {
    // The worker starts while config.json loads: ready when the timeline is asked for.
    this.decoder.warm();
  }

  statsOf(ref: RunRef): Promise<Stats | null> {
    let p = this.stats.get(ref.name);
    if (!p) {
      p = ref.stats
        ? this.source.text(ref.stats.path, ref.stats.script_path).then((t) => readStats(parseJson(ref.stats!.path, t)))
        : Promise.resolve(null);
      this.stats.set(ref.name, p);
    }
    return p;
  }

  runOf(ref: RunRef): Promise<Run> {
    let p = this.runs.get(ref.name);
    if (!p) {
      // A damaged stats.json must not hide the tests.
      const stats = this.statsOf(ref).catch(() => null);
      const timeline = ref.timeline;
      p = timeline
        ? Promise.all([this.timelineOf(timeline), stats]).then(([c, s]) => this.built(runOfColumns(ref, c, s, timeline.path)))
        : Promise.all([this.rawOf(ref.raw!), stats]).then(([r, s]) => this.built(buildRun(ref, r, s)));
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
      cols = this.decoder.decode({ path: art.path, url: new URL(source.base + art.path, location.href).href });
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

  private shardOf(path: string, twin: string | null): Promise<ShardFile> {
    let p = this.shards.get(path);
    if (!p) {
      // renderDetails shows each attachment as text, whatever it holds.
      p = this.source.text(path, twin).then((t) => parseJson(path, t) as ShardFile);
      p.catch(() => this.shards.delete(path));
      this.shards.set(path, p);
    }
    return p;
  }
}
