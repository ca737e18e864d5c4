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


// The v2 id index (P-ids/, see doc/source/data-format.rst): a deep link to one test
// finds its test shard here, without the timeline or raw.json. A bucket lists the
// hashes of its ids, sorted, with the shard of each. The index names its hash:
// "crc32" (what the exporter writes: zlib's CRC-32 is fast in Python) or "fnv1a32".

const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of s. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of utf8.encode(s)) {
    h ^= b;
    // h * 16777619 mod 2^32, as h * (2^24 + 403): Math.imul keeps it exact.
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (zlib, gzip, PNG) over the UTF-8 bytes of s. */
export function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of utf8.encode(s)) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const HASHES: Record<string, (s: string) => number> = { crc32, fnv1a32 };

/** The hash function an index names, or null for one this site does not know. */
export function hashNamed(name: unknown): ((s: string) => number) | null {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(HASHES, name) ? HASHES[name] : null;
}

export interface Bucket {
  hash: number[];
  shard: number[];
}

/** A bucket file's content, checked: equal-length lists of numbers, else null. */
export function readBucket(value: unknown): Bucket | null {
  if (typeof value !== 'object' || value === null) return null;
  const { hash, shard } = value as Record<string, unknown>;
  if (!Array.isArray(hash) || !Array.isArray(shard) || hash.length !== shard.length) return null;
  if (!hash.every((x) => typeof x === 'number') || !shard.every((x) => typeof x === 'number')) return null;
  return { hash, shard };
}

/** The distinct shards listed for hash h (several on a collision), in bucket order. */
export function shardsFor(bucket: Bucket, h: number): number[] {
  const { hash, shard } = bucket;
  let lo = 0, hi = hash.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hash[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let i = lo; i < hash.length && hash[i] === h; i++) {
    if (!out.includes(shard[i])) out.push(shard[i]);
  }
  return out;
}
