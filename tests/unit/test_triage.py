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

"""Failures grouped by cause, skips by reason (the stats.json triage extension)."""
import io
import time

from stackviz_publish import generate
from stackviz_publish import triage
from stackviz_publish.model import RunBuilder
from stackviz_publish.readers import subunit_v2


def _failure(i, exc, name=None):
    return {'name': name or 'pkg.mod.Class.test_%d' % i, 'id': 'id-%d' % i,
            'details': ['  File "/x/y.py", line %d, in test_%d' % (i, i),
                        '    do_it()', exc, 'Details: more about it %d' % i]}


def test_mask_hides_what_varies():
    a = triage.mask("Server 5731599f-be8b-e6b4-fad2-7d888d894690 at 10.0.0.12:8774 "
                    "0x7f3a2b1c 'abc' \"x\" took 12.5 s, id deadbeef12")
    b = triage.mask("Server 00000000-0000-4000-8000-000000000001 at 192.168.1.2:80 "
                    "0x1 'zzz' \"y\" took 3 s, id 0123abcd99")
    assert a == b
    assert a == ("Server <uuid> at <address> <hex> '…' \"…\" took <n> s, id <hex>")


def test_mask_is_bounded():
    line = 'E: ' + '1a' * 100000
    assert len(triage.mask(line)) <= triage.KEY_CHARS


def test_groups_sorted_by_size_with_messages_and_ids():
    failures = [_failure(i, 'ImportError: cannot import name %r' % ('n%d' % i))
                for i in range(5)]
    failures.insert(2, _failure(99, 'KeyError: 7'))
    out = triage.triage(failures, [])
    groups = out['failure_groups']
    assert [g['count'] for g in groups] == [5, 1]
    assert groups[0]['cause'] == "ImportError: cannot import name '…'"
    assert groups[0]['message'] == ["ImportError: cannot import name 'n0'",
                                    'Details: more about it 0']
    assert groups[0]['tests'] == ['id-0', 'id-1', 'id-2', 'id-3', 'id-4']
    assert groups[1]['tests'] == ['id-99'] and groups[1]['cause'] == 'KeyError: <n>'


def test_fixture_failures_name_their_class():
    f = _failure(1, 'RuntimeError: boom', name='pkg.mod.Class.setUpClass')
    group = triage.triage([f, _failure(2, 'RuntimeError: boom')], [])['failure_groups'][0]
    assert group['classes'] == ['pkg.mod.Class'] and group['count'] == 2


def test_no_traceback_is_its_own_group():
    out = triage.triage([{'name': 'a', 'id': 'a', 'details': []}], [])
    assert out['failure_groups'][0]['cause'] == '(no traceback)'


def test_cut_tracebacks_group_by_limit_after_the_causes():
    """A traceback cut by an attachment limit lost its exception line: its failures
    form one group per limit, listed after the groups that have a cause, however
    many they are (a run past --max-run-details-bytes loses the tracebacks of its
    later failures)."""
    cut = [{'name': 'c%d' % i, 'id': 'c%d' % i,
            'details': (['  File "/x/y.py", line 3, in test', '    do_it(%d' % i] if i % 2
                        else []) + ['[stackviz: cut at %d bytes of %d '
                                    '(--max-run-details-bytes)]' % (i % 2 * 900, 1000 + i)]}
           for i in range(6)]
    other = [{'name': 'o', 'id': 'o', 'details': [
        '[stackviz: cut at 10 bytes of 20 (--max-attachment-bytes)]']}]
    failures = cut[:3] + [_failure(7, 'KeyError: 7')] + other + cut[3:] + [
        {'name': 'n', 'id': 'n', 'details': []}]
    groups = triage.triage(failures, [])['failure_groups']
    assert [(g['cause'], g['count']) for g in groups] == [
        ('KeyError: <n>', 1),
        (triage.CUT % '--max-run-details-bytes', 6),
        (triage.CUT % '--max-attachment-bytes', 1),
        (triage.NO_TRACEBACK, 1)]
    assert groups[1]['message'][-1].startswith('[stackviz: cut at 0 bytes of 1000 ')
    # a message cut by --max-message-chars keeps its exception line: a cause
    long = _failure(8, 'ValueError: %s' % ('x' * 50))
    long['details'].append('[stackviz: cut at 40 chars of 90 (--max-message-chars)]')
    assert triage.triage([long], [])['failure_groups'][0]['cause'] == 'ValueError: ' + 'x' * 50


def test_caps_count_the_rest():
    failures = [_failure(i, 'E%s: x' % chr(65 + i % 26) * (1 + i // 26))
                for i in range(triage.MAX_GROUPS + 30)]
    failures += [_failure(1000 + i, 'Big: y') for i in range(triage.MAX_TESTS + 7)]
    out = triage.triage(failures, [])
    assert len(out['failure_groups']) == triage.MAX_GROUPS
    big = out['failure_groups'][0]
    assert big['count'] == triage.MAX_TESTS + 7 and len(big['tests']) == triage.MAX_TESTS
    assert big['more_tests'] == 7
    rest = out['failure_groups_not_listed']
    listed = sum(g['count'] for g in out['failure_groups'])
    assert listed + rest['tests'] == len(failures) and rest['groups'] == 31


def test_skips_grouped_by_reason():
    skips = [{'name': 's%d' % i, 'id': 's%d' % i,
              'details': 'Skipped until bug %d is resolved.' % (1000 + i)} for i in range(4)]
    skips.append({'name': 'n', 'id': 'n', 'details': ''})
    groups = triage.triage([], skips)['skip_groups']
    assert [(g['cause'], g['count']) for g in groups] == [
        ('Skipped until bug <n> is resolved.', 4), ('(no reason given)', 1)]
    assert groups[0]['message'] == ['Skipped until bug 1000 is resolved.']


def test_linear_time():
    def run(n):
        fs = [_failure(i, 'ValueError: %d %s' % (i, 'x' * (i % 50))) for i in range(n)]
        began = time.perf_counter()
        triage.triage(fs, [])
        return time.perf_counter() - began
    small, big = min(run(2000) for _ in range(3)), min(run(20000) for _ in range(3))
    assert big < small * 25, (small, big)


def test_export_writes_groups_for_one_cause():
    buf = io.BytesIO()
    generate.generate_stream(buf, tests=400, workers=4, same_cause=120, fail_rate=0.0,
                             log_bytes=64)

    class Sink:
        def add(self, entry, details):
            return None
    builder = RunBuilder(Sink())
    builder.consume(subunit_v2.read_packets(io.BytesIO(buf.getvalue()), subunit_v2.Damage()))
    stats = builder.finish()
    groups = stats['triage']['failure_groups']
    assert groups[0]['count'] == 120 and groups[0]['cause'].startswith('ImportError')
    assert sum(g['count'] for g in groups) == len(stats['failures'])
