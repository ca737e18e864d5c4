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

// The data format, site side: what config.json, raw.json, stats.json and the details
// shards hold (doc/source/data-format.rst). Files may be damaged or hostile, so
// fields that the code must check before use are typed unknown, never any.

export interface Artifact {
  path: string;
  artifact_name: string;
  artifact_type: string;
  primary?: boolean;
  script_path?: string;
  content_encoding?: string;
  shard_count?: number;
  suffix?: string;
  /** stackviz-timeline: how many tests it holds */
  count?: number;
  node?: string;
  /** service-logs: the shards' folder (see data-format.rst, "Service logs") */
  shards?: string;
  /** stackviz-ids (v2): how many buckets, and the hash naming them ("fnv1a32") */
  bucket_count?: number;
  hash?: string;
  /** stackviz-summary of a config's first run: the first screen itself, so that the
   *  summary needs no second request (see data-format.rst) */
  inline?: unknown;
}

export interface Config {
  format_version?: number;
  generator?: string;
  datasets?: { metadata?: Record<string, unknown>; artifacts?: Artifact[]; [k: string]: unknown }[];
}

/** One entry of raw.json (classic keys plus the v1 extensions), as read. */
export type RawEntry = Record<string, unknown>;

/** A test listed in stats.json (failures, skips, inprogress), as read. */
export interface StatsTest {
  name?: unknown;
  id?: unknown;
  details?: unknown;
  [k: string]: unknown;
}

/** stats.json: classic fields plus the v1 extensions, as read. */
export interface Stats {
  count?: unknown;
  counts?: unknown;
  start?: unknown;
  end?: unknown;
  wall_time?: unknown;
  total_duration?: unknown;
  workers?: unknown;
  warnings?: unknown;
  failures?: unknown;
  skips?: unknown;
  inprogress?: unknown;
  triage?: unknown;
  /** v2, optional: the summary's workers table and slowest tests */
  worker_lanes?: unknown;
  worker_lanes_not_listed?: unknown;
  slowest?: unknown;
}

/** A details shard: test id -> attachment name -> text. */
export type ShardFile = Record<string, Record<string, string>>;

/** A v2 test shard (P-tests/<k>.js): test id -> its raw.json entry plus "details". */
export type TestShard = Record<string, RawEntry>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** stats.json's content when it is an object, else null (a damaged file). */
export function readStats(value: unknown): Stats | null {
  return isRecord(value) ? value : null;
}

/** The objects of a list field (``failures``, ``skips``...); [] when it is no list. */
export function statsTests(list: unknown): StatsTest[] {
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** ``counts`` with its numbers, or null when it is not an object. */
export function statsCounts(counts: unknown): Record<string, number> | null {
  if (!isRecord(counts)) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) out[k] = Number(v) || 0;
  return out;
}

/** A field of an object read from a file, when that is an object. */
export function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

/** The artifact of type `type` in run `run`'s group of a config, or null. */
export function runArtifact(cfg: Config, run: string, type: string): Artifact | null {
  for (const ds of Array.isArray(cfg.datasets) ? cfg.datasets : []) {
    for (const a of (ds && Array.isArray(ds.artifacts)) ? ds.artifacts : []) {
      if (a && a.artifact_name === run && a.artifact_type === type && typeof a.path === 'string') return a;
    }
  }
  return null;
}

/** A v2 failure-order file (P-failures.js): the summary's failure order and the run's start. */
export interface FailureList {
  ids: string[];
  start: unknown;
}

/** P-failures.js's content, checked; null when it is not one. */
export function readFailureList(value: unknown): FailureList | null {
  if (!isRecord(value) || !Array.isArray(value.ids)) return null;
  return { ids: value.ids.filter((x): x is string => typeof x === 'string'), start: value.start };
}
