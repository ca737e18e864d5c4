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

// Unit tests of dstat CSV parsing, the log-level filter and hash routes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDstat, parseDstatTime, splitCsvLine, PRESETS, presetColumns } from '../../.build/lib/dstat.mjs';
import { filterLog, hasLevels, splitRecords } from '../../.build/lib/logfilter.mjs';
import { formatHash, parseHash, emptyRoute } from '../../.build/lib/route.mjs';

const DSTAT = [
  '"Dstat 0.7.2 CSV output"',
  '"Author:","Dag Wieers <dag@wieers.com>",,,,"URL:","http://dag.wieers.com/home-made/dstat/"',
  '"Host:","devstack",,,,"User:","stack"',
  '"Cmdline:","dstat -tcmndrylpg --top-cpu-adv",,,,"Date:","28 Sep 2018 02:46:30 UTC"',
  '',
  '"system","total cpu usage",,,,,,"memory usage",,,,"net/total",,"dsk/total",,"most expensive"',
  '"time","usr","sys","idl","wai","hiq","siq","used","buff","cach","free","recv","send","read","writ","cpu process"',
  '28-09 02:46:30,3.2,1.1,95.0,0.7,0,0.0,1.2e9,1,2,3,100,200,0,4096,"python / 12"',
  '28-09 02:46:31,50,10,35,5,0,0.0,1.3e9,1,2,3,,250,10,0,"mysqld / 40"',
  'garbage,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"x"',
].join('\n');

describe('dstat CSV', () => {
  const near = Date.UTC(2018, 8, 28, 2, 46, 35);
  it('splits quoted cells', () => {
    assert.deepEqual(splitCsvLine('"a,b",c,"d ""e"""'), ['a,b', 'c', 'd "e"']);
  });
  it('reads columns as group_column, numbers only, times with the run year', () => {
    const d = parseDstat(DSTAT, 'primary', near);
    assert.equal(d.times.length, 2, 'the row with an unreadable time is dropped');
    assert.equal(d.times[0], Date.UTC(2018, 8, 28, 2, 46, 30));
    const keys = d.columns.map((c) => c.key);
    assert.ok(keys.includes('total cpu usage_usr'));
    assert.ok(keys.includes('dsk/total_writ'));
    assert.ok(!keys.includes('most expensive_cpu process'), 'text column left out');
    const recv = d.columns.find((c) => c.key === 'net/total_recv');
    assert.ok(Number.isNaN(recv.values[1]), 'an empty cell is a gap');
    const cpu = presetColumns(d, PRESETS[0]);
    assert.deepEqual(cpu.map((s) => s.label), ['user', 'sys', 'wait']);
    assert.equal(cpu[0].column.values[1], 50);
  });
  it('takes the year nearest the run across New Year', () => {
    const jan1 = Date.UTC(2019, 0, 1, 0, 10);
    assert.equal(parseDstatTime('31-12 23:59:00', jan1), Date.UTC(2018, 11, 31, 23, 59));
  });
  it('says when there is no header', () => {
    assert.throws(() => parseDstat('a,b\n1,2\n', 'n1', near), /dstat log of n1: no header row/);
  });
});

describe('log level filter', () => {
  const log = [
    'preamble without a timestamp',
    '2018-09-28 02:46:35.276 12133 INFO tempest.x [-] Request GET /v2',
    '2018-09-28 02:46:35.820 12094 DEBUG tempest.lib Request - Headers: {}',
    '        Body: None',
    '    Response - Headers: {"status": "200"}',
    '2018-09-28 02:46:36.001 12094 ERROR tempest.y failed',
    'Traceback (most recent call last):',
    '  File "x.py", line 1',
  ].join('\n');
  it('keeps continuation lines with their record', () => {
    const recs = splitRecords(log);
    assert.ok(hasLevels(recs));
    assert.equal(recs.length, 4);
    assert.equal(filterLog(recs, 2), [
      'preamble without a timestamp',
      '2018-09-28 02:46:36.001 12094 ERROR tempest.y failed',
      'Traceback (most recent call last):',
      '  File "x.py", line 1'].join('\n'));
    assert.ok(!filterLog(recs, 1).includes('Body: None'), 'DEBUG continuation goes with its record');
    assert.equal(filterLog(recs, 0), log);
  });
  it('offers no filter for text without levels', () => {
    assert.ok(!hasLevels(splitRecords('just\nsome output\n')));
  });
});

describe('hash routes', () => {
  it('round-trips every view', () => {
    const routes = [
      { ...emptyRoute(), run: 'tempest.subunit' },
      { ...emptyRoute(), run: 'a b/c', view: 'timeline', test: 'x.y[id-1,smoke] #2', q: 'Foo bar', hide: ['success'], from: 1.5, to: 30 },
      { ...emptyRoute(), run: 'r', view: 'test', test: 'pkg/mod.T.test_<img>' },
    ];
    for (const r of routes) assert.deepEqual(parseHash(formatHash(r)), r);
  });
  it('reads the classic test-details route', () => {
    const r = parseHash('#/tempest.subunit/test-details/tempest.a.B.test_c');
    assert.equal(r.view, 'test');
    assert.equal(r.test, 'tempest.a.B.test_c');
  });
  it('ignores a broken window and bad escapes', () => {
    const r = parseHash('#/run/timeline?from=9&to=3');
    assert.equal(r.from, null);
    assert.equal(parseHash('#/%E0%A4%A/timeline').run, '%E0%A4%A');
  });
});
