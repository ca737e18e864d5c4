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

// A gzip-base64 payload written in pieces, "AAAA" + "BBBB" (doc/source/data-format.rst,
// "Data scripts"): read whole or streamed, cut anywhere, it gives the same text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { splitDataScript } from '../../.build/lib/loader.mjs';
import { readDataScriptStream } from '../../.build/lib/datascript.mjs';
import { decodeTwin } from '../../.build/lib/loader.mjs';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A data script whose base64 payload is cut into pieces of random sizes (any size:
 * base64 quads may straddle two pieces). */
function inPieces(path, b64, seed, most) {
  const rand = rng(seed);
  const pieces = [];
  for (let at = 0; at < b64.length;) {
    const n = 1 + Math.floor(rand() * most);
    pieces.push(b64.slice(at, at + n));
    at += n;
  }
  return `stackvizData(${JSON.stringify(path)}, "gzip-base64", "${pieces.join(rand() < 0.5 ? '" + "' : '"+"')}");\n`;
}

function bodyOf(text, sizes) {
  const bytes = new TextEncoder().encode(text);
  let at = 0, k = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      const n = sizes[Math.min(k++, sizes.length - 1)];
      c.enqueue(bytes.slice(at, at += n));
    },
  });
}

const TEXT = JSON.stringify({ ids: Array.from({ length: 3000 }, (_, i) => `pkg.mod.T${i % 7}.test_${i * 7919}`), n: 'é€😀' });
const B64 = gzipSync(Buffer.from(TEXT)).toString('base64');

describe('a gzip-base64 payload in pieces', () => {
  it('reads whole, as one literal does', async () => {
    for (const [seed, most] of [[1, 3], [2, 100], [3, 70000]]) {
      const s = splitDataScript(inPieces('p.js', B64, seed, most), 'p.js');
      assert.equal(s.payload, B64);
      assert.equal(await decodeTwin(s.encoding, s.payload), TEXT);
    }
  });

  it('reads streamed, the joins cut by chunks anywhere', async () => {
    for (const [seed, most, sizes] of [[4, 5, [1, 7, 3]], [5, 1000, [65536, 3]], [6, 65536, [65533, 65539]], [7, 40, [70001]]]) {
      const text = inPieces('p.js', B64, seed, most);
      assert.equal(await readDataScriptStream(bodyOf(text, sizes), 'p.js'), TEXT, `seed ${seed}`);
    }
  });

  it('refuses a stray quote or anything else between the pieces', async () => {
    // Text gzip leaves big (random digits), so that the stream is read in many pushes.
    const rand = rng(8);
    const big = gzipSync(Buffer.from(Array.from({ length: 400000 }, () => Math.floor(rand() * 10)).join(''))).toString('base64');
    const half = big.length >> 2;
    for (const join of ['" - "', '"+x+"', '"', '" + "" + x']) {
      const text = `stackvizData("p.js", "gzip-base64", "${big.slice(0, half)}${join}${big.slice(half)}");\n`;
      await assert.rejects(async () => decodeTwin('gzip-base64', splitDataScript(text, 'p.js').payload), join);
      // Streamed: refused when the quote is met, well before the end (no rescans).
      await assert.rejects(readDataScriptStream(bodyOf(text, [1000]), 'p.js'),
        join === '" + "" + x' ? /p\.js: damaged payload/ : /p\.js: damaged payload \(a stray quote\)/);
    }
  });
});
