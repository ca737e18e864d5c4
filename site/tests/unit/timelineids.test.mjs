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

// The timeline's "prefixed" ids (doc/source/data-format.rst, "Timeline"): a prefix
// table, each test's prefix and rest length (UTF-16 code units), the rests in one
// string. The reader only joins, whatever cut the writer chose.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timelineColumns } from '../../.build/lib/columns.mjs';
import { pack, unpack } from '../../.build/lib/timelinedecode.mjs';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Ids a hostile stream may carry, and many sharing prefixes (some twice). */
function hostileIds(n, seed) {
  const rand = rng(seed);
  const odd = ['', 'a', 'é€', 'x😀y', '😀', 'lone \udc80 half', '\ud83d', 'tab\tnew\nline\u0000',
    '"quoted\\"', '[id-1]lead.x', 'a.b[c.d]', '....', '.', 'a.', 'pkg.mod.C.' + 'x'.repeat(70000)];
  const ids = [...odd];
  for (let i = 0; ids.length < n; i++) {
    const cls = `pkg.mod_${Math.floor(rand() * 5)}.Class${Math.floor(rand() * 3)}.`;
    ids.push(rand() < 0.1 ? ids[Math.floor(rand() * ids.length)] : `${cls}test_${i}[id-${i},smoke]`);
  }
  return ids;
}

/** The prefixed encoding of ``ids``, cut at a random point of each (any cut is valid),
 * prefixes shared through a table whose first entry is the empty one. */
function encode(ids, seed) {
  const rand = rng(seed);
  const table = new Map([['', 0]]);
  const prefix = [], length = [], rests = [];
  for (const id of ids) {
    const cut = rand() < 0.2 ? 0 : Math.floor(rand() * (id.length + 1));
    const head = id.slice(0, cut);
    if (!table.has(head)) table.set(head, table.size);
    prefix.push(table.get(head));
    const rest = id.slice(cut);
    length.push(rest.length);
    rests.push(rest);
  }
  return { encoding: 'prefixed', rest: rests.join(''), prefixes: [...table.keys()], prefix, length };
}

/** A timeline of ``ids`` (JSON text, as the file is), every test on worker 0. */
function timelineOf(ids, encoded) {
  const n = ids.length;
  return JSON.parse(JSON.stringify({
    format_version: 2, origin: '2018-09-28T02:46:35.123456+00:00', count: n, ids: encoded,
    status: ids.map(() => 0), worker: ids.map(() => 0), start: ids.map((_, i) => i * 10),
    end: ids.map((_, i) => i * 10 + 5), tag_sets: [[]], tags: ids.map(() => 0),
    unfinished: [], worker_guessed: [], shards: { path: 'r-0-tests/', starts: [0] },
  }));
}

const idsOf = (cols) => Array.from({ length: cols.count }, (_, i) => cols.ids.get(i));

describe('prefixed timeline ids', () => {
  it('give back every id, hostile ones too, whatever the cut', () => {
    for (const seed of [1, 2, 3]) {
      const ids = hostileIds(400, seed);
      const cols = timelineColumns(timelineOf(ids, encode(ids, seed + 10)), 'p.js');
      assert.deepEqual(idsOf(cols), ids);
      assert.deepEqual(idsOf(timelineColumns(timelineOf(ids, ids), 'p.js')), ids, 'the list form still reads');
    }
  });

  it('cross to the page with the prefix table, the prefixes transferred', () => {
    const ids = hostileIds(200, 4);
    const { packed, transfer } = pack(timelineColumns(timelineOf(ids, encode(ids, 5)), 'p.js'));
    const prefixBuffer = packed.idPrefix.buffer;
    assert.ok(transfer.includes(prefixBuffer));
    const cols = unpack(structuredClone(packed, { transfer }));
    assert.equal(prefixBuffer.byteLength, 0, 'moved, not copied');
    assert.deepEqual(idsOf(cols), ids);
  });

  it('keep ids aligned when a test is left out', () => {
    const ids = hostileIds(50, 6);
    const timeline = timelineOf(ids, encode(ids, 7));
    timeline.start[3] = null;
    timeline.end[3] = null;
    const cols = timelineColumns(timeline, 'p.js');
    assert.equal(cols.bad, 1);
    assert.deepEqual(idsOf(cols), ids.filter((_, i) => i !== 3));
  });

  it('refuse damaged ids and an unknown encoding with a clear error', () => {
    const ids = ['pkg.A.a', 'pkg.A.b', 'x'];
    const good = { encoding: 'prefixed', rest: 'abx', prefixes: ['', 'pkg.A.'], prefix: [1, 1, 0], length: [1, 1, 1] };
    assert.deepEqual(idsOf(timelineColumns(timelineOf(ids, good), 'p.js')), ids);
    const cases = [
      [{ ...good, prefix: [1, 2, 0] }, /"ids" is damaged \(prefix\)/],
      [{ ...good, prefix: [1, -1, 0] }, /"ids" is damaged \(prefix\)/],
      [{ ...good, prefix: [1, 0.5, 0] }, /"ids" is damaged \(prefix\)/],
      [{ ...good, prefix: [1, 1] }, /"ids" is damaged \(prefix\)/],
      [{ ...good, length: [1, 1, 2] }, /lengths and rest differ/],
      [{ ...good, length: [1, 1, 0] }, /lengths and rest differ/],
      [{ ...good, length: [1, 1, '1'] }, /"ids" is damaged \(length\)/],
      [{ ...good, rest: 7 }, /"ids" is damaged \(rest\)/],
      [{ ...good, prefixes: ['', 3] }, /"ids" is damaged \(prefixes\)/],
      [{ ...good, encoding: 'zip' }, /p\.js: unknown ids encoding "zip"/],
      ['abx', /"ids" is not a list of 3 values/],
    ];
    for (const [bad, error] of cases) assert.throws(() => timelineColumns(timelineOf(ids, bad), 'p.js'), error);
  });
});
