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

// Loading data files over HTTP or from file://.
// Over HTTP a `.gz` file may arrive as raw gzip bytes (object storage) or already
// decoded (a server sending Content-Encoding: gzip): the bytes tell which.
// From file:// nothing can be fetched, so the script twins are loaded instead.
// Format v2 data files are data scripts (`X.js`): loaded with <script> from file://,
// fetched as text over HTTP and read without eval (see "Data scripts" in
// doc/source/data-format.rst).

export type Encoding = 'json' | 'text' | 'gzip-base64';

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const utf8 = new TextDecoder('utf-8');

/** Text of a fetched body: inflated when it still is gzip. */
export async function decodeBody(bytes: Uint8Array): Promise<string> {
  return utf8.decode(isGzip(bytes) ? await gunzip(bytes) : bytes);
}

export function base64Bytes(b64: string): Uint8Array {
  // Native where the browser has it: several times faster on a 10 MB payload.
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Text carried by a script twin's payload. */
export async function decodeTwin(encoding: string, payload: string): Promise<string> {
  if (encoding === 'json' || encoding === 'text') return payload;
  if (encoding === 'gzip-base64') return decodeBody(base64Bytes(payload));
  throw new Error(`unknown twin encoding ${JSON.stringify(encoding)}`);
}

/** A data script: a `path` ending in `.js` (v1 never had one). */
export function isDataScript(path: string): boolean {
  return path.endsWith('.js');
}

const HEAD = 'stackvizData(';

/** Index just past the JSON string literal starting at `at` (a '"'), or -1. */
function literalEnd(text: string, at: number): number {
  if (text[at] !== '"') return -1;
  let i = at + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    let backslashes = 0;
    while (text[q - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

function skipComma(text: string, at: number): number {
  let i = at;
  while (text[i] === ' ') i++;
  if (text[i] !== ',') return -1;
  i++;
  while (text[i] === ' ') i++;
  return i;
}

export interface DataScript {
  path: string;
  encoding: string;
  payload: string;
}

/** Between the literals of a gzip-base64 payload written in pieces. */
export const PIECE_JOIN = /"\s*\+\s*"/g;

/** A gzip-base64 payload's text between its first and last quote, its pieces joined
 * (doc/source/data-format.rst, "Data scripts"). */
export function joinPieces(text: string): string {
  return text.includes('"') ? text.replace(PIECE_JOIN, '') : text;
}

/**
 * The three arguments of a data script's one statement,
 * `stackvizData("<path>", "<encoding>", "<payload>");`, read without running it;
 * `name` names the file in errors. A gzip-base64 payload has no escapes: it is
 * sliced out, not parsed.
 */
export function splitDataScript(text: string, name: string): DataScript {
  const bad = (why: string) => new Error(`${name} is not a stackviz data script (${why})`);
  const body = text.trimEnd();
  if (!body.startsWith(HEAD) || !body.endsWith(');')) throw bad('no stackvizData(...); statement');
  const p0 = HEAD.length;
  const p1 = literalEnd(body, p0);
  const e0 = p1 < 0 ? -1 : skipComma(body, p1);
  const e1 = e0 < 0 ? -1 : literalEnd(body, e0);
  const d0 = e1 < 0 ? -1 : skipComma(body, e1);
  // The payload runs to the statement's end: its closing quote is just before ");".
  const d1 = body.length - 2;
  if (d0 < 0 || body[d0] !== '"' || body[d1 - 1] !== '"' || d1 - 1 <= d0) throw bad('three string arguments expected');
  const literal = (from: number, to: number): string => {
    try {
      return JSON.parse(body.slice(from, to));
    } catch {
      throw bad('an argument is not a JSON string');
    }
  };
  const path = literal(p0, p1);
  const encoding = literal(e0, e1);
  // atob refuses anything but base64 (a stray quote included); a payload in several
  // literals ("AAAA" + "BBBB") is joined first.
  const payload = encoding === 'gzip-base64' ? joinPieces(body.slice(d0 + 1, d1 - 1)) : literal(d0, d1);
  return { path, encoding, payload };
}

/** Path of the script twin for a data file, per the format's naming rule (see
 * "Script twins" in doc/source/data-format.rst): minus any ``.gz``, plus ``.js``;
 * config.json's twin is config.js and a details shard ``<k>.json``'s is ``<k>.js``. */
export function twinPath(path: string): string {
  const p = path.endsWith('.gz') ? path.slice(0, -3) : path;
  const slash = p.lastIndexOf('/');
  const base = p.slice(slash + 1);
  if (base === 'config.json' || (slash >= 0 && /^\d+\.json$/.test(base))) return p.slice(0, -5) + '.js';
  return p + '.js';
}

export interface Source {
  readonly mode: 'http' | 'file';
  /** folder of the data files, relative to the page */
  readonly base: string;
  /** Every data path asked for, in order (tests check that details stay lazy). */
  readonly requested: string[];
  text(path: string, script?: string | null): Promise<string>;
}

type Fetch = (url: string) => Promise<{
  ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer>; text(): Promise<string>;
}>;

export class HttpSource implements Source {
  readonly mode = 'http';
  readonly requested: string[] = [];
  constructor(readonly base: string, private fetchFn: Fetch) {}

  async text(path: string): Promise<string> {
    this.requested.push(path);
    const res = await this.fetchFn(this.base + path);
    if (isDataScript(path)) {
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return this.scriptText(path, await res.text());
    }
    if (res.status === 404 && !path.endsWith('.gz')) {
      // Old jobs gzipped every JSON file after the export; object storage then has
      // only x.json.gz, while config.json still names x.json.
      try {
        return await this.text(path + '.gz');
      } catch {
        throw new Error(`${path}: HTTP 404`);
      }
    }
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    // Only a .gz file can still be gzip: others are decoded by the browser as they stream in.
    if (!path.endsWith('.gz')) return res.text();
    return decodeBody(new Uint8Array(await res.arrayBuffer()));
  }

  /** The text a fetched data script carries: it must say it is the file asked for. */
  private async scriptText(path: string, text: string): Promise<string> {
    const got = splitDataScript(text, path);
    if (got.path !== path) throw new Error(`${path} holds the data of ${JSON.stringify(got.path)}`);
    try {
      return await decodeTwin(got.encoding, got.payload);
    } catch (e) {
      throw new Error(`${path} could not be decoded (${(e as Error).message})`);
    }
  }
}

interface Pending {
  resolve: (v: { encoding: string; payload: string }) => void;
  reject: (e: Error) => void;
}

/** Loads script twins with <script src>; each calls window.stackvizData. */
export class ScriptSource implements Source {
  readonly mode = 'file';
  readonly requested: string[] = [];
  private pending = new Map<string, Pending>();
  private arrived = new Map<string, { encoding: string; payload: string }>();

  constructor(readonly base: string, private doc: Document, win: Window & { stackvizData?: unknown }) {
    win.stackvizData = (path: string, encoding: string, payload: string) => {
      const waiter = this.pending.get(path);
      if (waiter) {
        this.pending.delete(path);
        waiter.resolve({ encoding, payload });
      } else {
        this.arrived.set(path, { encoding, payload });
      }
    };
  }

  async text(path: string, script?: string | null): Promise<string> {
    const got = await this.payload(path, script);
    return decodeTwin(got.encoding, got.payload);
  }

  /** A script's encoding and payload, not decoded (the timeline is decoded in a worker). */
  async payload(path: string, script?: string | null): Promise<{ encoding: string; payload: string }> {
    this.requested.push(path);
    if (!script) {
      throw new Error(`${path} has no script twin (classic data): open this page over HTTP`);
    }
    const got = this.arrived.get(path) || (await this.load(path, script));
    this.arrived.delete(path);
    return got;
  }

  private load(path: string, script: string): Promise<{ encoding: string; payload: string }> {
    return new Promise((resolve, reject) => {
      this.pending.set(path, { resolve, reject });
      const el = this.doc.createElement('script');
      el.src = this.base + script;
      el.onload = () => {
        el.remove();
        // A twin calls stackvizData synchronously; no call means a wrong file.
        if (this.pending.get(path)) {
          this.pending.delete(path);
          reject(new Error(`${script} did not provide ${path}`));
        }
      };
      el.onerror = () => {
        el.remove();
        this.pending.delete(path);
        reject(new Error(`${script} could not be loaded`));
      };
      this.doc.head.appendChild(el);
    });
  }
}
