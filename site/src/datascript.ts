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

// Data scripts (format v2, doc/source/data-format.rst): one statement,
//   stackvizData("<path>", "<encoding>", "<payload>");
// Fetched over HTTP, the three JSON string literals are read without eval.
import { DataScript, base64Bytes, decodeTwin, joinPieces, splitDataScript } from './loader';

// One reader of a whole data script, the loader's; this module adds the streaming one.
export { splitDataScript };
export type { DataScript };

const HEAD = 'stackvizData(';

/** End (index after the closing quote) of the JSON string literal starting at ``at``. */
function literalEnd(text: string, at: number, name: string): number {
  if (text.charCodeAt(at) !== 34) throw new Error(`${name} is not a stackviz data script`);
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i + 1;
  }
  throw new Error(`${name} is not a stackviz data script (unterminated string)`);
}

function literal(text: string, from: number, to: number, name: string): string {
  try {
    return JSON.parse(text.slice(from, to));
  } catch {
    throw new Error(`${name} is not a stackviz data script (bad string)`);
  }
}

/** After a literal: a comma and optional blanks. */
function nextArg(text: string, at: number, name: string): number {
  if (text.charCodeAt(at) !== 44) throw new Error(`${name} is not a stackviz data script`);
  at++;
  while (text.charCodeAt(at) === 32) at++;
  return at;
}

/** The statement's head: path, encoding and where the payload's text starts
 * (after its opening quote); null while ``text`` may still be too short to tell. */
function scriptHead(text: string, name: string, whole: boolean): { path: string; encoding: string; at: number } | null {
  try {
    if (!text.startsWith(HEAD)) throw new Error(`${name} is not a stackviz data script`);
    const pathEnd = literalEnd(text, HEAD.length, name);
    const path = literal(text, HEAD.length, pathEnd, name);
    const at = nextArg(text, pathEnd, name);
    const encEnd = literalEnd(text, at, name);
    const encoding = literal(text, at, encEnd, name);
    const payload = nextArg(text, encEnd, name);
    if (text.charCodeAt(payload) !== 34 || typeof path !== 'string' || typeof encoding !== 'string') {
      throw new Error(`${name} is not a stackviz data script`);
    }
    return { path, encoding, at: payload + 1 };
  } catch (e) {
    // A head cut by a chunk boundary is not yet an error.
    if (!whole && text.length < HEAD_MAX) return null;
    throw e;
  }
}

// A head longer than this is no data script's (paths are short).
const HEAD_MAX = 4096;
// Kept back from the payload until the end: the closing `");` and blanks.
const TAIL_KEPT = 64;

/**
 * The text a data script carries, read from its byte stream. A gzip-base64 payload
 * is decoded and inflated as it arrives, so the download and the inflating overlap;
 * other encodings are read whole.
 */
export async function readDataScriptStream(body: ReadableStream<BufferSource>, name: string): Promise<string> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  let head = null;
  let done = false;
  while (!head && !done) {
    const r = await reader.read();
    done = r.done;
    if (r.value) text += r.value;
    head = scriptHead(text, name, done);
  }
  if (!head || head.encoding !== 'gzip-base64') {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
    const s = splitDataScript(text, name);
    return decodeTwin(s.encoding, s.payload);
  }
  const inflate = new DecompressionStream('gzip');
  const inflated = readText(inflate.readable);
  inflated.catch(() => null);
  const writer = inflate.writable.getWriter();
  let carry = text.slice(head.at);
  // Whole base64 quads only, and never the last TAIL_KEPT characters before the end.
  // A payload in pieces ("AAAA" + "BBBB"): the joins are dropped; one cut by a chunk's
  // end is in the kept tail, whole once the next chunk comes. A quote before the
  // tail is no join: damage, refused at once (no rescans of a growing carry).
  const push = (all: boolean) => {
    carry = joinPieces(carry);
    let n = all ? carry.length : carry.length - TAIL_KEPT;
    const quote = carry.indexOf('"');
    if (quote >= 0 && quote < n) throw new Error(`${name}: damaged payload (a stray quote)`);
    if (!all) n -= n % 4;
    if (n <= 0) return;
    writer.write(base64Bytes(carry.slice(0, n)) as Uint8Array<ArrayBuffer>).catch(() => null);
    carry = carry.slice(n);
  };
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      carry += r.value;
      if (carry.length >= 1 << 16) push(false);
    }
    carry = carry.trimEnd();
    if (!carry.endsWith('");')) throw new Error(`${name} is not a stackviz data script`);
    carry = carry.slice(0, -3);
    push(true);
    writer.close().catch(() => null);
  } catch (e) {
    writer.abort().catch(() => null);
    throw e instanceof SyntaxError || e instanceof DOMException ? new Error(`${name}: damaged payload (${e.message})`) : e;
  }
  try {
    return await inflated;
  } catch (e) {
    throw new Error(`${name}: damaged payload (${(e as Error).message})`);
  }
}

/** UTF-8 text of a byte stream, decoded chunk by chunk as it comes (measured a little
 * faster than Response.text() on an inflating stream). */
async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const utf8 = new TextDecoder();
  const parts: string[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(utf8.decode(r.value, { stream: true }));
  parts.push(utf8.decode());
  return parts.join('');
}

/** The text of a gzip-base64 payload already loaded (file://: a <script> brought it). */
export async function inflatePayload(payload: string): Promise<string> {
  const inflate = new DecompressionStream('gzip');
  const writer = inflate.writable.getWriter();
  writer.write(base64Bytes(payload) as Uint8Array<ArrayBuffer>).catch(() => null);
  writer.close().catch(() => null);
  return readText(inflate.readable);
}

