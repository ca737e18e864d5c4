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

"""The model: names, messages, uniqueness, unfinished tests and lanes."""
from stackviz_publish import limits
from stackviz_publish import model
from stackviz_publish.format import EPOCH

T0 = 1538102795000000   # 2018-09-28T02:46:35Z in microseconds


class Sink:
    def __init__(self):
        self.tests = []

    def add(self, entry, details):
        self.tests.append((entry, details))
        return None


def ev(test_id, status=None, stamp=None, tags=None, file_name=None, data=None,
       route=None):
    return (test_id, status, tags, stamp, file_name, data, False, route)


def build(events, max_attachment_bytes=None, **caps):
    sink = Sink()
    builder = model.RunBuilder(sink, limits.Limits(max_attachment_bytes=max_attachment_bytes,
                                                   **caps))
    builder.consume(events)
    stats = builder.finish()
    return sink.tests, stats


def test_clean_name():
    assert model.clean_name('a.B.test_x[id-1234,smoke]') == 'a.B.test_x'
    assert model.clean_name('setUpClass (tempest.api.X)') == 'tempest.api.X.setUpClass'
    assert model.clean_name('tearDownClass (pkg.mod.Class)') == 'pkg.mod.Class.tearDownClass'
    assert model.clean_name('a.b.c') == 'a.b.c'
    assert model.clean_name('[weird]') == '[weird]'
    assert model.clean_name('a.b (with spaces in it)') == 'a.b (with spaces in it)'


def test_attachment_key_and_failure_message():
    assert model.attachment_key("pythonlogging:''") == 'pythonlogging'
    tb = ('Traceback (most recent call last):\n  File "a.py", line 1, in f\n    g()\n'
          '  File "b.py", line 2, in g\n    raise ValueError(x)\n\nValueError: bad\n'
          'more detail\n\n')
    assert model.failure_message(tb) == ['  File "b.py", line 2, in g',
                                         '    raise ValueError(x)', 'ValueError: bad',
                                         'more detail']
    assert model.failure_message('') == []
    assert len(model.failure_message('line\n' * 50)) == model.FAILURE_LINES


def test_finished_tests_with_details_and_stats():
    tests, stats = build([
        ev('a.T.test_1[id-1]', 'inprogress', T0),
        ev('a.T.test_2[id-2]', 'inprogress', T0 + 100),
        ev('a.T.test_1[id-1]', None, T0 + 10, file_name="pythonlogging:''", data=b'log1 '),
        ev('a.T.test_1[id-1]', None, T0 + 20, file_name="pythonlogging:''", data=b'log2'),
        ev('a.T.test_1[id-1]', None, T0 + 2000000, file_name='traceback',
           data=b'Traceback (most recent call last):\n  File "x", line 1\nKeyError: 1\n'),
        ev('a.T.test_1[id-1]', 'fail', T0 + 2000000, tags=['worker-2']),
        ev('a.T.test_2[id-2]', None, T0 + 200, file_name='reason', data=b' no cloud \n'),
        ev('a.T.test_2[id-2]', 'skip', T0 + 300, tags=['worker-0', 'smoke']),
        ev('a.T.list', 'exists'),
    ])
    assert [e['id'] for e, _ in tests] == ['a.T.test_1[id-1]', 'a.T.test_2[id-2]']
    first, details = tests[0]
    assert first['name'] == 'a.T.test_1' and first['worker'] == 2
    assert first['duration'] == 2.0
    assert first['timestamps'] == ['2018-09-28T02:46:35.000000+00:00',
                                   '2018-09-28T02:46:37.000000+00:00']
    assert details['pythonlogging'] == 'log1 log2'
    assert stats['failures'] == [{'name': 'a.T.test_1', 'id': 'a.T.test_1[id-1]',
                                  'duration': 2.0,
                                  'details': ['  File "x", line 1', 'KeyError: 1'],
                                  'worker': 2, 'start': '2018-09-28T02:46:35.000000+00:00'}]
    assert stats['skips'][0]['details'] == 'no cloud'
    assert stats['count'] == 2 and stats['workers'] == [0, 2]
    assert stats['wall_time'] == 2.0 and stats['total_duration'] == 2.0002


def test_ids_stay_unique_when_names_collide_or_repeat():
    tests, _ = build([
        ev('x.T.t[id-1]', 'success', T0), ev('x.T.t[id-2]', 'success', T0 + 1),
        ev('x.T.t[id-1]', 'inprogress', T0 + 2), ev('x.T.t[id-1]', 'fail', T0 + 3),
    ])
    assert [e['name'] for e, _ in tests] == ['x.T.t'] * 3
    assert [e['id'] for e, _ in tests] == ['x.T.t[id-1]', 'x.T.t[id-2]', 'x.T.t[id-1] #2']


def test_unfinished_tests_kept_with_guessed_lane():
    tests, stats = build([
        ev('a', 'inprogress', T0), ev('a', 'success', T0 + 10, tags=['worker-0']),
        ev('b', 'inprogress', T0), ev('b', 'success', T0 + 50, tags=['worker-1']),
        ev('c', 'inprogress', T0 + 60),   # worker-1 went on with c and hung
        ev('d', 'inprogress', T0 + 20), ev('d', 'success', T0 + 900, tags=['worker-0']),
        ev('e', 'inprogress', T0 + 70),
        ev('e', None, T0 + 71, file_name='stdout', data=b'partial'),
    ])
    unfinished = [e for e, _ in tests if e['status'] == 'inprogress']
    assert [e['id'] for e in unfinished] == ['c', 'e']
    c = unfinished[0]
    assert c['worker'] == 1 and c['worker_guessed'] and c['unfinished']
    assert c['timestamps'][1] == model.iso(T0 + 900) and c['duration'] == 840e-6
    assert unfinished[1]['worker'] is None   # no free lane left for it
    assert tests[-1][1] == {'stdout': 'partial'}
    assert stats['counts']['inprogress'] == 2 and stats['count'] == 3
    assert [i['id'] for i in stats['inprogress']] == ['c', 'e']


def test_non_utf8_and_cut_attachments_warn():
    tests, stats = build([
        ev('a', 'inprogress', T0),
        ev('a', None, T0, file_name='stdout', data=b'ok \xff\xfe bad'),
        ev('a', None, T0, file_name='big', data=b'0123456789'),
        ev('a', None, T0, file_name='big', data=b'abcdefghij'),
        ev('a', 'success', T0 + 1),
    ], max_attachment_bytes=15)
    details = tests[0][1]
    assert details['stdout'] == 'ok \ufffd\ufffd bad'
    assert details['big'] == ('0123456789abcde\n'
                              '[stackviz: cut at 15 bytes of 20 (--max-attachment-bytes)]')
    assert any('not valid UTF-8' in w and "'stdout'" in w for w in stats['warnings'])
    assert '1 attachment(s) cut at --max-attachment-bytes=15 bytes per attachment ' \
        '(marked "[stackviz: ...]")' in stats['warnings']


def test_route_codes_keep_tests_apart():
    tests, _ = build([
        ev('t', 'inprogress', T0, route='0'), ev('t', 'inprogress', T0 + 5, route='1'),
        ev('t', 'success', T0 + 10, route='1'), ev('t', 'fail', T0 + 20, route='0'),
    ])
    assert [(e['status'], e['duration']) for e, _ in tests] == [
        ('success', 5e-06), ('fail', 2e-05)]


def test_iso_matches_datetime():
    import datetime
    import random
    rng = random.Random(0)
    stamps = [0, 1, 999999, T0, T0 + 1, -1, -1000001] + [
        rng.randrange(0, 4 * 10 ** 15) for _ in range(2000)]
    for stamp in stamps:
        expected = (EPOCH + datetime.timedelta(microseconds=stamp)).isoformat(
            timespec='microseconds')
        assert model.iso(stamp) == expected


def test_stream_without_timestamps():
    tests, stats = build([
        ev('a', 'inprogress'), ev('a', 'success', tags=['worker-0']),
        ev('b', 'inprogress'),
    ])
    assert [(e['status'], e['timestamps'], e['duration']) for e, _ in tests] == [
        ('success', [None, None], 0.0), ('inprogress', [None, None], 0.0)]
    assert stats['start'] is None and stats['wall_time'] is None


def test_late_output_of_a_finished_test_is_not_a_new_test():
    tests, stats = build([
        ev('a', 'inprogress', T0), ev('a', 'success', T0 + 10),
        ev('a', None, T0 + 11, file_name='stdout', data=b'late'),
        ev('b', None, T0 + 12), ev('b', None, T0 + 13, file_name='stdout', data=b'x'),
    ])
    assert [(e['id'], e['status']) for e, _ in tests] == [
        ('a', 'success'), ('b', 'inprogress')]
    assert stats['counts']['inprogress'] == 1
