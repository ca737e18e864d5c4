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

// Unit tests of the service log index and shards as the site reads them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clockTime, errorsLabel, groupByFile, readServiceIndex, readServiceLines } from '../../.build/lib/servicelogs.mjs';

const INDEX = {
  format_version: 1,
  files: [{ path: 'logs/screen-c-api.txt.gz', href: '../logs/screen-c-api.txt.gz', service: 'c-api' },
    { path: 'logs/screen-n-api.txt.gz', href: '../logs/screen-n-api.txt.gz', service: 'n-api' }],
  tests: { 'a.b.test_x': [0, 3, 1, 0], broken: 'no' },
  cut: 0, notes: ['logs/screen-dstat.txt skipped'],
  timeline: { start: '2018-09-28T02:46:35.000000+00:00', step: 2.5, counts: { 1: [0, 2, 0] } },
};

describe('service logs data', () => {
  it('reads the index, dropping entries of the wrong shape', () => {
    const index = readServiceIndex(INDEX);
    assert.deepEqual([...index.tests.keys()], ['a.b.test_x']);
    assert.deepEqual(index.tests.get('a.b.test_x'), [0, 3, 1, 0]);
    assert.equal(index.files[1].href, '../logs/screen-n-api.txt.gz');
    assert.deepEqual(index.timeline.counts.get(1), [0, 2, 0]);
    assert.equal(index.timeline.start, Date.UTC(2018, 8, 28, 2, 46, 35));
    assert.deepEqual(index.notes, ['logs/screen-dstat.txt skipped']);
    assert.throws(() => readServiceIndex(null), /not an object/);
    const hostile = readServiceIndex({ files: [{ path: 'x', href: 'javascript:alert(1)', service: 'x' },
      { path: 'y', href: 'JavaScript:alert(1)' }, { path: 'z', href: './javascript:z' }] });
    assert.deepEqual(hostile.files.map((f) => f.href), ['', '', './javascript:z']);
    const empty = readServiceIndex({ files: 'x', tests: [], timeline: { start: 3 } });
    assert.deepEqual([empty.files, empty.tests.size, empty.timeline], [[], 0, null]);
  });

  it('groups a test\'s records by file, in time order within a file', () => {
    const index = readServiceIndex(INDEX);
    const lines = readServiceLines({ cut: 2, records: [
      [1, 40, '2018-09-28T02:46:37.000000+00:00', 'INFO', 'late'],
      [0, 9, '2018-09-28T02:46:36.500000+00:00', 'ERROR', 'cinder'],
      [1, 12, '2018-09-28T02:46:36.000000+00:00', 'DEBUG', 'early'],
      [1, 'x', null, null, 'wrong shape'],
      [1, 50, null, null, 'no time'],
    ] });
    assert.equal(lines.cut, 2);
    const groups = groupByFile(index, lines);
    assert.deepEqual(groups.map(([f, recs]) => [f.service, recs.map((r) => r[4])]),
      [['c-api', ['cinder']], ['n-api', ['early', 'late', 'no time']]]);
    assert.equal(readServiceLines({ records: 'x' }), null);
  });

  it('writes times as the logs do and counts errors for people', () => {
    assert.equal(clockTime('2018-09-28T02:46:35.626543+00:00'), '02:46:35.626');
    assert.equal(clockTime(null), '');
    assert.equal(errorsLabel(1), '1 service error');
    assert.equal(errorsLabel(12), '12 service errors');
  });
});
