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

// Unit tests of the time notation (timefmt), the route's t parameter and the
// summary's groups (triage): exported groups, the classic fallback, the filter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAt, formatDate, formatOffset, offsetLabel, parseTimeMode, setTimeMode } from '../../.build/lib/timefmt.mjs';
import { emptyRoute, formatHash, parseHash } from '../../.build/lib/route.mjs';
import { exceptionLines, failureOrder, fixtureClass, matchGroup, readTriage } from '../../.build/lib/triage.mjs';
import { buildRun } from '../../.build/lib/model.mjs';

const START = Date.UTC(2018, 8, 28, 2, 46, 35, 627);

describe('time notation', () => {
  it('formats one moment in each notation', () => {
    setTimeMode('utc', START);
    assert.equal(formatAt(START + 277000), '02:51:12 UTC');
    assert.equal(formatDate(START), '2018-09-28 02:46:35 UTC');
    setTimeMode('rel', START);
    assert.equal(formatAt(START + 277000), '+4:37');
    assert.equal(formatAt(START + 3723000), '+1:02:03');
    assert.equal(formatDate(START), '2018-09-28 02:46:35 UTC', 'dates stay wall-clock');
    setTimeMode('local', START);
    // The test runs in whatever zone the machine has: compare with Date's own view.
    const d = new Date(START + 277000);
    assert.match(formatAt(START + 277000), new RegExp(`^${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:12 UTC`));
    setTimeMode('utc');
  });

  it('offsets: sign, hours, fractions', () => {
    assert.equal(offsetLabel(0), '0:00');
    assert.equal(offsetLabel(-5), '-0:05');
    assert.equal(formatOffset(0.25, 0.1), '+0:00.3');
    assert.equal(formatOffset(7322), '+2:02:02');
    assert.equal(offsetLabel(7322), '2:02:02');
  });

  it('the route keeps the notation, utc by default', () => {
    assert.equal(parseHash('#/run').time, 'utc');
    assert.equal(parseHash('#/run/timeline?t=rel').time, 'rel');
    assert.equal(parseHash('#/run?t=bogus').time, 'utc');
    assert.equal(formatHash({ ...emptyRoute(), run: 'r', view: 'test', test: 'x', time: 'local' }), '#/r/test/x?t=local');
    assert.equal(formatHash({ ...emptyRoute(), run: 'r', time: 'utc' }), '#/r');
    assert.equal(parseTimeMode('local'), 'local');
  });
});

const ref = { name: 'r', raw: { path: 'r-raw.json' }, stats: null, details: null, shards: null, metadata: {} };
const T = (s) => new Date(START + s * 1000).toISOString();
const entry = (name, a, b, status, extra = {}) => ({ name, status, tags: [], timestamps: [T(a), T(b)],
  duration: b - a, details: {}, ...extra });

describe('summary groups', () => {
  it('reads the exported groups, unfinished tests first', () => {
    const stats = {
      counts: {}, inprogress: [{ name: 'u', id: 'u', start: T(1), worker: 0 }],
      failures: [{ name: 'a', id: 'a' }, { name: 'pkg.C.setUpClass', id: 'setUpClass (pkg.C)' }],
      triage: {
        failure_groups: [{ cause: "ImportError: '…'", message: ["ImportError: 'x'"], count: 3, tests: ['a', 'setUpClass (pkg.C)'], more_tests: 1, classes: ['pkg.C'] }],
        failure_groups_not_listed: { groups: 2, tests: 5 },
        skip_groups: [{ cause: 'no <n>', message: ['no 1'], count: 1, tests: ['s'], more_tests: 0 }],
      },
    };
    const tri = readTriage(stats, null);
    assert.deepEqual(tri.groups.map((g) => [g.kind, g.count]), [['inprogress', 1], ['fail', 3], ['skip', 1]]);
    assert.equal(tri.groups[1].more, 1);
    assert.deepEqual(tri.groups[1].classes, ['pkg.C']);
    assert.deepEqual(tri.notListed, { groups: 2, tests: 5 });
    assert.equal(tri.names.get('setUpClass (pkg.C)'), 'pkg.C.setUpClass');
    assert.deepEqual(failureOrder(tri), ['u', 'a', 'setUpClass (pkg.C)']);
  });

  it('groups classic data by exception line, largest first', () => {
    const tb = (exc) => ['  File "x.py", line 1, in f', '    g()', exc];
    const run = buildRun(ref, [
      entry('a', 0, 1, 'fail'), entry('b', 1, 2, 'fail'), entry('c', 2, 3, 'fail'), entry('d', 3, 4, 'skip'),
    ], { failures: [{ name: 'a', details: tb('KeyError: 1') }, { name: 'b', details: tb('ValueError: x') },
      { name: 'c', details: tb('ValueError: x') }], skips: [{ name: 'd', details: 'because' }] });
    const tri = readTriage({ failures: [] }, run);
    assert.deepEqual(tri.groups.map((g) => [g.kind, g.cause, g.count]),
      [['fail', 'ValueError: x', 2], ['fail', 'KeyError: 1', 1], ['skip', 'because', 1]]);
  });

  it('filters groups by cause, message or test name', () => {
    const names = new Map([['1', 'pkg.test_alpha'], ['2', 'pkg.test_beta']]);
    const g = { kind: 'fail', cause: 'ImportError: x', message: ['ImportError: x', 'Details: zeta'], count: 2, ids: ['1', '2'], more: 0, classes: [] };
    assert.equal(matchGroup(g, '', names), g.ids);
    assert.equal(matchGroup(g, 'importerror', names), g.ids);
    assert.equal(matchGroup(g, 'zeta', names), g.ids);
    assert.deepEqual(matchGroup(g, 'beta', names), ['2']);
    assert.equal(matchGroup(g, 'nothing', names), null);
  });

  it('finds the exception line and fixture classes', () => {
    assert.deepEqual(exceptionLines(['Traceback', '  File "a", line 1', '    x()', 'E: 1', 'more']), ['E: 1', 'more']);
    assert.deepEqual(exceptionLines(['E: plain']), ['E: plain']);
    assert.equal(fixtureClass('pkg.mod.C.tearDownClass'), 'pkg.mod.C');
    assert.equal(fixtureClass('setUpClass (pkg.mod.C)'), 'pkg.mod.C');
    assert.equal(fixtureClass('pkg.mod.C.test_x'), null);
    assert.equal(fixtureClass('tempest.api.compute.test_x.XTest.test_setUpClass_thing'), null);
  });
});
