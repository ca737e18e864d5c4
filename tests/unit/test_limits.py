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

"""Every cap: what it keeps, its marker, its one warning line, and that the other tests'
data is intact (model, writers, dstat copy, both CLIs' flags)."""
import io
import os
import re

import pytest

from stackviz_publish import export
from stackviz_publish import limits
from stackviz_publish import model
from stackviz_publish.cli import export_cmd
from stackviz_publish.cli import limit_args
from stackviz_publish.cli import main as cli_main
from stackviz_publish.cli import publish_cmd
from stackviz_publish.readers import dstat as dstat_reader
from stackviz_publish.writers import output
from stackviz_publish.writers.run import BUDGET_MARKER
from stackviz_publish.writers.run import RUN_RESERVE
from stackviz_publish.writers.run import RunWriter
from stackviz_publish.writers.timeline import read_ids
from stackviz_publish.format import Layout
from tests.unit import hostile_streams
from tests.unit.conftest import all_details
from tests.unit.conftest import read_data
from tests.unit.conftest import read_json
from tests.unit.conftest import run_files
from tests.unit.test_model import Sink
from tests.unit.test_model import T0
from tests.unit.test_model import ev

CLASSIC = Layout.export_tool()


def build(events, **caps):
    sink = Sink()
    builder = model.RunBuilder(sink, limits.Limits(**caps))
    builder.consume(events)
    stats = builder.finish()
    return {e['id']: (e, d) for e, d in sink.tests}, stats


def one_warning(stats, flag):
    lines = [w for w in stats['warnings'] if flag in w]
    assert len(lines) == 1, stats['warnings']
    return lines[0]


def plain_test(test_id='p.other', at=T0 + 50):
    return [ev(test_id, 'inprogress', at), ev(test_id, None, at, file_name='stdout',
                                              data=b'other output'),
            ev(test_id, 'success', at + 1)]


def test_zero_means_no_limit_and_bad_values_are_refused():
    assert limits.Limits(max_id_chars=0).max_id_chars is None
    assert limits.NO_LIMITS.max_output_bytes is None
    with pytest.raises(ValueError):
        limits.Limits(max_test_attachments=-1)


def test_per_test_attachment_bytes():
    tests, stats = build([
        ev('p.big', 'inprogress', T0),
        ev('p.big', None, T0, file_name='a', data=b'x' * 60),
        ev('p.big', None, T0, file_name='b', data=b'y' * 60),
        ev('p.big', None, T0, file_name='c', data=b'z' * 60),
        ev('p.big', 'success', T0 + 1)] + plain_test(), max_test_attachment_bytes=100)
    details = tests['p.big'][1]
    assert details['a'] == 'x' * 60
    assert details['b'] == ('y' * 40 + '\n[stackviz: cut at 40 bytes of 60 '
                            '(--max-test-attachment-bytes)]')
    assert details['c'].endswith('[stackviz: cut at 0 bytes of 60 '
                                 '(--max-test-attachment-bytes)]')
    assert one_warning(stats, '--max-test-attachment-bytes=100').startswith(
        '2 attachment(s) cut')
    assert tests['p.other'][1] == {'stdout': 'other output'}


def test_per_test_attachment_count():
    tests, stats = build([ev('p.many', 'inprogress', T0)] + [
        ev('p.many', None, T0, file_name='f%d' % n, data=b'0123456789') for n in range(5)
    ] + [ev('p.many', None, T0, file_name='f0', data=b'more'),
         ev('p.many', 'success', T0 + 1)] + plain_test(), max_test_attachments=2)
    details = tests['p.many'][1]
    assert details['f0'] == '0123456789more' and details['f1'] == '0123456789'
    assert details[limits.CUT_KEY] == ('[stackviz: attachments after the first 2 not '
                                       'kept: 30 bytes (--max-test-attachments)]')
    assert sorted(details) == ['f0', 'f1', limits.CUT_KEY]
    assert one_warning(stats, '--max-test-attachments=2').startswith('1 test(s)')
    assert tests['p.other'][1] == {'stdout': 'other output'}


def test_per_run_details_bytes_and_utf8_boundary():
    tests, stats = build(plain_test('p.first', T0) + [
        ev('p.second', 'inprogress', T0 + 10),
        ev('p.second', None, T0 + 10, file_name='log', data='é'.encode() * 10),
        ev('p.second', 'success', T0 + 11)] + plain_test('p.third', T0 + 20),
        max_run_details_bytes=len('other output') + 5)
    assert tests['p.first'][1] == {'stdout': 'other output'}
    # 5 bytes left: two whole "é", never half of one (no U+FFFD, no UTF-8 warning)
    assert tests['p.second'][1]['log'] == 'éé\n[stackviz: cut at 4 bytes of 20 ' \
                                          '(--max-run-details-bytes)]'
    assert tests['p.third'][1]['stdout'] == ('o\n[stackviz: cut at 1 bytes of 12 '
                                             '(--max-run-details-bytes)]')
    assert one_warning(stats, '--max-run-details-bytes=').startswith('2 attachment(s)')
    assert not any('UTF-8' in w for w in stats['warnings'])


def test_long_ids_are_cut_marked_and_stay_unique():
    base = 'p.' + 'a' * 50
    ids = [base + 'X', base + 'Y', base + 'X']
    events = []
    for n, test_id in enumerate(ids):
        events += [ev(test_id, 'inprogress', T0 + n), ev(test_id, 'fail', T0 + n + 1)]
    tests, stats = build(events + plain_test(), max_id_chars=20)
    cut = [i for i in tests if i != 'p.other']
    assert len(cut) == 3 and len(set(cut)) == 3
    assert all(i.startswith(base[:20] + ' [stackviz: id cut at 20 of 53 chars, digest ')
               for i in cut)
    # the two different ids differ by their digest; the repeated one gets " #2"
    assert len({i.split(' #')[0] for i in cut}) == 2 and sum(' #2' in i for i in cut) == 1
    assert [f['id'] for f in stats['failures']] == [tests[i][0]['id'] for i in cut]
    assert one_warning(stats, '--max-id-chars=20').startswith('3 test id(s) cut')
    assert 'p.other' in tests


@pytest.mark.parametrize('order', [('p.test_a', 'p.test_a', 'p.test_a #2'),
                                   ('p.test_a #2', 'p.test_a', 'p.test_a'),
                                   ('p.test_a', 'p.test_a #2', 'p.test_a')])
def test_ids_unique_whatever_the_names(order):
    events = []
    for n, test_id in enumerate(order):
        events += [ev(test_id, 'inprogress', T0 + n),
                   ev(test_id, None, T0 + n, file_name='traceback',
                      data=b'Traceback:\nValueError: %d' % n),
                   ev(test_id, 'fail', T0 + n + 1)]
    tests, stats = build(events)
    assert len(tests) == 3
    # the failure listed for each test opens that test's own traceback
    for failure in stats['failures']:
        entry, details = tests[failure['id']]
        assert failure['details'][-1] == details['traceback'].splitlines()[-1]
    assert sorted(e['name'] for e, _ in tests.values()) == sorted(order)
    ids = {d['traceback'][-1]: i for i, (_, d) in tests.items()}
    expected = {
        ('p.test_a', 'p.test_a'): ('p.test_a', 'p.test_a #2', 'p.test_a #2 #2'),
        ('p.test_a #2', 'p.test_a'): ('p.test_a #2', 'p.test_a', 'p.test_a #3'),
        ('p.test_a', 'p.test_a #2'): ('p.test_a', 'p.test_a #2', 'p.test_a #3'),
    }[order[:2]]
    assert ids == dict(zip('012', expected))


def test_failure_message_and_skip_reason_are_cut():
    tb = b'Traceback:\n  File "x.py", line 1\nValueError: ' + b'v' * 5000
    tests, stats = build([
        ev('p.fail', 'inprogress', T0), ev('p.fail', None, T0, file_name='traceback',
                                           data=tb), ev('p.fail', 'fail', T0 + 1),
        ev('p.skip', 'inprogress', T0), ev('p.skip', None, T0, file_name='reason',
                                           data=b'r' * 3000), ev('p.skip', 'skip', T0 + 1),
    ] + plain_test(), max_message_chars=100)
    message = stats['failures'][0]['details']
    assert sum(map(len, message[:-1])) == 100
    assert re.fullmatch(r'\[stackviz: cut at 100 chars of \d+ \(--max-message-chars\)\]',
                        message[-1])
    reason = stats['skips'][0]['details']
    assert reason == 'r' * 100 + '\n[stackviz: cut at 100 chars of 3000 ' \
                                 '(--max-message-chars)]'
    assert one_warning(stats, '--max-message-chars=100').startswith('2 failure')
    assert tests['p.fail'][1]['traceback'] == tb.decode()   # the attachment is whole


@pytest.mark.parametrize('layout', [Layout.publish(), Layout.publish(compress=False),
                                    Layout.publish(classic=True), Layout.export_tool()])
def test_output_budget_marks_then_leaves_out_tests(tmp_path, layout):
    budget = limits.Budget(RUN_RESERVE + 500 * 1024)
    writer = RunWriter(str(tmp_path), 'r', layout=layout, budget=budget)
    builder = model.RunBuilder(writer, limits.NO_LIMITS)
    events = []
    tests = 3000   # more than the budget's raw.json half can list
    for n in range(tests):   # every tenth test has a big log
        test_id = 'p.test_%04d' % n
        events += [ev(test_id, 'inprogress', T0 + n),
                   ev(test_id, None, T0 + n, file_name='log',
                      data=b'L' * (20000 if n % 10 == 9 else 100)),
                   ev(test_id, 'success', T0 + n + 1)]
    builder.consume(events)
    stats = builder.finish()
    stats['warnings'] += writer.cut_warnings(builder.left_out)
    writer.close(stats)
    timeline = read_json(tmp_path, 'r-0-timeline.js')
    ids = read_ids(timeline['ids'])
    raw = [{'id': test_id} for test_id in ids]
    details = {}
    for name in os.listdir(str(tmp_path / 'r-0-tests')):
        shard = read_json(tmp_path / 'r-0-tests', name)
        details.update({test_id: entry['details'] for test_id, entry in shard.items()})
    assert list(details) == ids
    if layout.classic:
        classic = read_json(tmp_path, 'r-0-raw.json' + ('.gz' if layout.classic_gzip else ''))
        assert [e['id'] for e in classic] == ids
    marked = [i for i, d in details.items() if d == {limits.CUT_KEY: BUDGET_MARKER}]
    whole = [i for i, d in details.items() if len(d.get('log', '')) in (100, 20000)]
    assert whole and marked and len(whole) + len(marked) <= len(raw) < tests
    first = min(marked)   # from the first test that did not fit, no big one is whole
    assert not [i for i in whole if i > first and i[-1] == '9']
    assert stats['count'] == tests and [e['id'] for e in raw] == [
        'p.test_%04d' % n for n in range(len(raw))]
    assert len([w for w in stats['warnings'] if 'without their attachments' in w]) == 1
    left_out = [w for w in stats['warnings'] if 'left out' in w]
    assert left_out == ["%d test(s) left out of the run's files: the output budget "
                        '(--max-output-bytes) was used up; they are counted in its stats'
                        % (tests - len(raw))]
    assert _tree_size(tmp_path) <= RUN_RESERVE + 500 * 1024


def _tree_size(path):
    return sum(os.path.getsize(os.path.join(d, f))
               for d, _, files in os.walk(str(path)) for f in files)


def test_dstat_downsampled_then_cut(tmp_path):
    log = hostile_streams.dstat(str(tmp_path / 'dstat.csv'), 200 * 1024)
    rel, _, notes = output.copy_dstat(log, str(tmp_path), 'd.csv', CLASSIC, 50 * 1024)
    text = read_data(tmp_path, rel)
    lines = text.splitlines()
    step = -(-os.path.getsize(log) // (50 * 1024 * 7 // 8))
    assert step > 2 and lines[0] == '"[stackviz: downsampled: one sample row in %d kept ' \
                                    '(--max-dstat-bytes=51200)]"' % step
    assert lines[1:8] == hostile_streams.DSTAT_HEAD.splitlines()
    for line, row in ((lines[8], step - 1), (lines[9], 2 * step - 1)):   # rows from 0
        assert line.startswith('01-01 %02d:%02d:%02d,' % (row // 3600, row // 60 % 60,
                                                          row % 60))
    assert len(text) <= 50 * 1024 + 100
    assert dstat_reader.check_dstat(str(tmp_path / rel)) is None   # still dstat
    assert notes == ['downsampled to one sample row in %d (--max-dstat-bytes=51200; the '
                     'log has %d bytes)' % (step, os.path.getsize(log))]
    # irregular rows (a huge one among them) are cut at the limit, with a last line
    with open(log, 'a') as out:
        out.write('01-01 10:00:00,' + '1,' * 40000 + '1\r\n' + '01-01 10:00:01,1,2\r\n')
    rel, _, notes = output.copy_dstat(log, str(tmp_path), 'e.csv', CLASSIC, 10 ** 7)
    assert notes == [] and read_data(tmp_path, rel) == open(log, newline='').read()
    rel, _, notes = output.copy_dstat(log, str(tmp_path), 'e.csv', CLASSIC,
                                      os.path.getsize(log) // 2 + 10 ** 5)
    text = read_data(tmp_path, rel)
    assert notes[-1] == '1 line(s) longer than 65536 characters left out'
    assert '1,' * 100 not in text and len(text) < os.path.getsize(log) // 2 + 10 ** 5
    for layout in (CLASSIC, Layout.publish(), Layout.publish(compress=False)):
        budget = limits.Budget(60 * 1024)
        rel, size, notes = output.copy_dstat(log, str(tmp_path), 'f.csv', layout, None,
                                             budget)
        assert rel == ('f.csv' if layout.classic_tool else 'f.csv.js')
        assert read_data(tmp_path, rel).endswith(
            '"[stackviz: cut here (--max-output-bytes)]"\r\n')
        assert notes[0].startswith('cut after') and notes[0].endswith('(--max-output-bytes)')
        written = [tmp_path / name for name in ('f.csv', 'f.csv.js')
                   if os.path.exists(tmp_path / name)]
        assert 0 < sum(map(os.path.getsize, written)) <= 60 * 1024
        for path in written:
            os.remove(path)


def test_dstat_cut_shows_in_the_run_warnings(make_stream, tmp_path):
    path, _ = make_stream(tests=20)
    log = hostile_streams.dstat(str(tmp_path / 'dstat.csv'), 100 * 1024)
    warnings = []
    export.export_runs([export.Source('s', path=path)], str(tmp_path / 'o'),
                       dstat_logs=[('primary', log)], warn=warnings.append,
                       limits=limits.Limits(max_dstat_bytes=20 * 1024))
    stats = read_json(tmp_path / 'o', 's-0-stats.js')
    cut = [w for w in stats['warnings'] if 'dstat' in w]
    assert len(cut) == 1 and 'downsampled' in cut[0] and warnings == cut
    dstat_art = [a for a in read_json(tmp_path / 'o', 'config.json')['datasets'][0][
        'artifacts'] if a['artifact_type'] == 'dstat'][0]
    assert dstat_art['cut'] == [cut[0].split(': ', 1)[1]]


def _parse(module, argv):
    parser = cli_main.build_parser([module]) if module is publish_cmd else None
    if parser is None:
        import argparse
        parser = argparse.ArgumentParser()
        export_cmd.add_arguments(parser)
        return parser.parse_args(argv)
    return parser.parse_args(['publish'] + argv)


@pytest.mark.parametrize('module, required', [(export_cmd, ['-f', 'x', 'out']),
                                              (publish_cmd, ['logs'])])
def test_flags_one_name_each_on_both_commands(module, required):
    defaults = limit_args.limits_from(_parse(module, required))
    assert defaults == limits.Limits()
    argv = required[:]
    for n, setting in enumerate(limits.SETTINGS):
        argv += [limits.flag(setting), str(n + 1)]
    argv += ['--max-run-details-bytes', '2M']
    chosen = limit_args.limits_from(_parse(module, argv))
    assert [getattr(chosen, s) for s in limits.SETTINGS] == [
        n + 1 if s != 'max_run_details_bytes' else 2 << 20
        for n, s in enumerate(limits.SETTINGS)]
    # the old publish spelling still works (hidden); 0 means no limit on both
    zero = limit_args.limits_from(_parse(module, required + ['--max-attachment-size', '0']))
    assert zero.max_attachment_bytes is None


def test_export_zero_keeps_every_attachment(make_stream, tmp_path):
    path, _ = make_stream(tests=10, log_bytes=5000)
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['--max-attachment-bytes', '0', '-f', path,
                            str(tmp_path / 'o')], out, err)
    assert code == 0 and err.getvalue() == ''
    logs = [d['pythonlogging'] for d in all_details(tmp_path / 'o', 'tempest.subunit')
            .values() if 'pythonlogging' in d]
    assert logs and not any('[stackviz:' in log for log in logs)
    assert run_files(tmp_path / 'o', 'tempest.subunit')
