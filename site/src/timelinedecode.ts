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

// Decoding the v2 timeline (P-timeline.js) into columns: fetch (over HTTP) or take
// the payload a <script> delivered (file://), base64, gunzip, JSON.parse, columns.
// The worker runs this; so does the page when no worker can be started. The
// columns cross to the page as transferred typed arrays, the ids as one string
// (with the prefix table of the timeline's prefixed ids).
import { JoinedIds, TestColumns, timelineColumns } from './columns';
import { inflatePayload, readDataScriptStream, splitDataScript } from './datascript';
import { decodeTwin } from './loader';

/** What to decode: a URL to fetch, or a script's payload already loaded. */
export type DecodeRequest =
  | { path: string; url: string }
  | { path: string; encoding: string; payload: string };

export type Fetch = (url: string) => Promise<{
  ok: boolean; status: number; text(): Promise<string>; body?: ReadableStream<BufferSource> | null;
}>;

/** Streams: decoding as the bytes arrive (not in every browser the site supports). */
const STREAMING = typeof DecompressionStream === 'function' && typeof TextDecoderStream === 'function';

/** Decodes a timeline; ``phase`` is told when each step ends (for the benchmark). */
export async function decodeTimeline(req: DecodeRequest, fetchFn: Fetch,
                                     phase: (name: string) => void = () => undefined): Promise<TestColumns> {
  let text: string;
  if (!('url' in req)) {
    text = req.encoding === 'gzip-base64' && STREAMING
      ? await inflatePayload(req.payload).catch((e) => {
        throw new Error(`${req.path}: damaged payload (${(e as Error).message})`);
      })
      : await decodeTwin(req.encoding, req.payload);
  } else {
    const res = await fetchFn(req.url);
    if (!res.ok) throw new Error(`${req.path}: HTTP ${res.status}`);
    if (res.body && STREAMING) {
      text = await readDataScriptStream(res.body, req.path);
    } else {
      const script = splitDataScript(await res.text(), req.path);
      phase('fetched');
      text = await decodeTwin(script.encoding, script.payload);
    }
  }
  phase('inflated');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${req.path} is not valid JSON (${(e as Error).message})`);
  }
  phase('parsed');
  return timelineColumns(json, req.path);
}

/** Columns as sent between threads: the ids joined in one string (one copy, not
 * one per id), ``idEnds[i]`` the end of id i in it. */
export interface Packed extends Omit<TestColumns, 'ids'> {
  idText: string;
  idEnds: Uint32Array;
  /** the prefixed ids' table and each test's prefix (see JoinedIds) */
  idPrefixes: string[] | null;
  idPrefix: Int32Array | null;
}

export function pack(c: TestColumns): { packed: Packed; transfer: ArrayBuffer[] } {
  const ids = c.ids instanceof JoinedIds ? c.ids : null;
  if (!ids) throw new Error('only timeline columns are sent between threads');
  const { ids: _ids, ...rest } = c;
  const packed: Packed = { ...rest, idText: ids.text, idEnds: ids.ends, idPrefixes: ids.prefixes, idPrefix: ids.prefix };
  const { layout } = c;
  const transfer = [c.status, c.worker, c.start, c.end, c.duration, c.tags, c.flags, c.shard, ids.ends,
    layout.workers, layout.lane, layout.order, layout.bounds, ...(ids.prefix ? [ids.prefix] : [])]
    .map((a) => a.buffer as ArrayBuffer);
  return { packed, transfer };
}

export function unpack(p: Packed): TestColumns {
  const { idText, idEnds, idPrefixes, idPrefix, ...rest } = p;
  return { ...rest, ids: new JoinedIds(idText, idEnds, idPrefixes, idPrefix) };
}

/** The worker's messages: a request with its number (``follows``: the file's bytes
 *  come in a second message, null there when the worker is to fetch it itself), and
 *  the answer to it. */
export type DecodeMessage =
  | { n: number; req: DecodeRequest; follows?: boolean }
  | { n: number; bytes: ArrayBuffer | null };

/** A fetch that answers with ``bytes`` (a whole file fetched already) when they come,
 *  else asks for the URL. */
export function fetchOr(bytes: Promise<ArrayBuffer | null> | null): Fetch {
  if (!bytes) return (url) => fetch(url);
  return (url) => bytes.then((b) => (b ? new Response(b) : fetch(url)));
}
export type DecodeReply =
  | { n: number; ok: true; packed: Packed; phases: [string, number][] }
  | { n: number; ok: false; error: string };
