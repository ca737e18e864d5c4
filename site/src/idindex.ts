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


// The v2 id index (P-ids/, see "Id index" in doc/source/data-format.rst): a deep
// link to one test finds its test shard here, without the timeline or raw.json.
// A bucket lists the FNV-1a hashes of its ids, sorted, with the shard of each.

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

/** The bucket of an id among `count` buckets. */
export function bucketOf(id: string, count: number): number {
  return fnv1a32(id) % count;
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
