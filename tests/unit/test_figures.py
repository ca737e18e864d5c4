# Copyright stackviz-publish developers.
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The summary's figures in the stats (workers, slowest tests) against the same
figures computed from the whole timeline, as the site computes them."""
import random

import pytest

from stackviz_publish import export
from stackviz_publish.model import iso
from stackviz_publish.writers import figures
from tests.unit.conftest import read_json
from tests.unit.conftest import run_files


def _lanes_from_all(tests):
    """The site's workers table (model.ts buildLanes) from every test at once:
    each worker's tests sorted by start, gaps from the run's start."""
    timed = [t for t in tests if t['start'] is not None]
    start = min(t['start'] for t in timed)
    end = max(t['end'] for t in timed)
    out = {}
    for w in {t['worker'] for t in tests}:
        mine = sorted((t for t in timed if t['worker'] == w), key=lambda t: t['start'])
        reach, busy, gap, gap_at = start, 0, 0, start
        for t in mine:
            if t['start'] > reach and t['start'] - reach > gap:
                gap, gap_at = t['start'] - reach, reach
            if t['end'] > reach:
                busy += t['end'] - max(reach, t['start'])
                reach = t['end']
        out[w] = {'worker': w, 'tests': sum(1 for t in tests if t['worker'] == w),
                  'busy': busy / 1e6, 'idle': (end - start - busy) / 1e6,
                  'longest_gap': gap / 1e6, 'longest_gap_at': iso(gap_at) if gap else None}
    return [out[w] for w in sorted(out, key=lambda w: (w is None, w or 0))]


def _random_run(rng, n, workers):
    """Tests of one run in completion order; one test at a time per worker."""
    clock = {w: rng.randrange(0, 5 * 10 ** 6) for w in range(workers)}
    clock[None] = 0
    tests = []
    for i in range(n):
        w = rng.choice(list(clock))
        start = clock[w] + rng.choice((0, rng.randrange(1, 3 * 10 ** 6)))
        end = start + rng.randrange(0, 4 * 10 ** 6)
        clock[w] = end
        timed = rng.random() > 0.02
        tests.append({'id': 't%d' % i, 'name': 'n%d' % i, 'worker': w,
                      'status': rng.choice(('success', 'fail', 'skip', 'inprogress')),
                      'start': start if timed else None, 'end': end if timed else None,
                      'duration': (end - start) / 1e6 if timed else 0.0})
    tests.sort(key=lambda t: t['end'] if t['end'] is not None else 0)
    return tests


@pytest.mark.parametrize('seed', range(8))
def test_figures_as_tests_arrive_equal_the_figures_of_the_whole_run(seed):
    rng = random.Random(seed)
    tests = _random_run(rng, rng.randrange(1, 400), rng.randrange(1, 9))
    fig = figures.Figures(slowest=5)
    for t in tests:
        fig.add(t, (t['start'], t['end']))
    got = fig.stats()
    if all(t['start'] is None for t in tests):
        return
    want = _lanes_from_all(tests)
    assert [lane['worker'] for lane in got['worker_lanes']] == [lane['worker'] for lane in want]
    for a, b in zip(got['worker_lanes'], want):
        assert a['tests'] == b['tests']
        for key in ('busy', 'idle', 'longest_gap'):
            assert a[key] == pytest.approx(b[key], abs=1e-6)
        assert a['longest_gap_at'] == b['longest_gap_at']
    # The slowest finished tests, longest first, ties in test order (a stable sort).
    order = sorted((t for t in tests if t['status'] != 'inprogress' and t['start'] is not None),
                   key=lambda t: -t['duration'])[:5]
    assert [s['id'] for s in got['slowest']] == [t['id'] for t in order]
    assert got['worker_lanes_not_listed'] == 0


def test_many_workers_are_counted_not_listed(monkeypatch):
    monkeypatch.setattr(figures, 'MAX_LANES', 3)
    fig = figures.Figures()
    for w in range(7):
        fig.add({'id': str(w), 'name': str(w), 'worker': w, 'status': 'success',
                 'duration': 1.0}, (w, w + 10 ** 6))
    got = fig.stats()
    assert [lane['worker'] for lane in got['worker_lanes']] == [0, 1, 2]
    assert got['worker_lanes_not_listed'] == 4


def test_export_puts_the_figures_in_stats_and_first_screen(make_stream, tmp_path):
    path, _ = make_stream(tests=600, workers=4, unfinished=2, seed=5, fail_rate=0.1)
    export.export_runs([export.Source('run', path=path)], str(tmp_path / 'o'),
                       warn=lambda m: None)
    files = run_files(tmp_path / 'o', 'run')
    stats = read_json(tmp_path / 'o', files['subunit-stats']['path'])
    first = read_json(tmp_path / 'o', files['stackviz-summary']['path'])
    for key in ('worker_lanes', 'slowest', 'worker_lanes_not_listed'):
        assert first[key] == stats[key]
    lanes = stats['worker_lanes']
    assert sum(lane['tests'] for lane in lanes) == stats['count'] + stats['counts']['inprogress']
    assert [lane['worker'] for lane in lanes if lane['worker'] is not None] == stats['workers']
    slow = stats['slowest']
    assert len(slow) == figures.SLOWEST
    assert [s['duration'] for s in slow] == sorted((s['duration'] for s in slow), reverse=True)
