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
"""Service logs: the generator, the one-pass reader of oslo.log files, the index."""
import gzip
import io
import os
import re
import time
import tracemalloc

import pytest

from stackviz_publish import generate_services
from stackviz_publish import servicelogs
from stackviz_publish.readers import oslolog

RID = 'req-%s' % ('1' * 8 + '-' + '2' * 4 + '-' + '3' * 4 + '-' + '4' * 4 + '-' + '5' * 12)
OTHER = RID.replace('1', '9')
UUID = RID[4:].encode('ascii')
HEAD = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ [A-Z]+ \S+ ')


def _line(second, level, context, message, pid=42, logger='nova.api'):
    return '2018-09-28 02:46:%06.3f %d %s %s [%s] %s\n' % (
        second, pid, level, logger, context, message)


def _scan(path, wanted=(UUID,), **kwargs):
    scan = oslolog.Scan(str(path), None, frozenset(wanted), **kwargs)
    return list(scan.records()), scan.notes


def _sample():
    return ''.join([
        _line(1, 'DEBUG', OTHER + ' - -', 'periodic'),
        _line(2, 'INFO', RID + ' u p', 'POST /servers: {\n    "a": 1\n}'),
        _line(3, 'DEBUG', OTHER + ' - -', 'periodic'),
        _line(4, 'ERROR', RID + ' u p', 'Failed'),
        '2018-09-28 02:46:04.000 42 ERROR nova.api Traceback (most recent call last):\n',
        '2018-09-28 02:46:04.000 42 ERROR nova.api   File "x.py", line 1, in f\n',
        '2018-09-28 02:46:04.000 42 ERROR nova.api ValueError: boom\n',
        _line(5, 'ERROR', '-', 'not a request of ours'),
        _line(6, 'INFO', OTHER + ' - -', 'done'),
    ])


def test_records_keep_their_continuation_lines_and_line_numbers(tmp_path):
    path = tmp_path / 'screen-n-api.txt'
    path.write_text(_sample())
    records, notes = _scan(path)
    assert notes == []
    assert [(r.line, r.level, r.error) for r in records] == [
        (2, 'INFO', False), (6, 'ERROR', True), (10, 'ERROR', True)]
    assert records[0].text.endswith('"a": 1\n}')
    assert records[0].ids == {UUID}
    assert records[1].text.count('\n') == 3 and records[1].text.endswith('ValueError: boom')
    assert records[2].ids == set()   # an error, kept for the time windows
    assert records[1].time == pytest.approx(1538102764.0)


@pytest.mark.parametrize('block', [64, 100, 333, 1 << 20])
def test_blocks_of_any_size_give_the_same_records(tmp_path, monkeypatch, block):
    path = tmp_path / 'screen-n-api.txt.gz'
    with gzip.open(str(path), 'wt') as out:
        out.write(_sample() * 20)
    monkeypatch.setattr(oslolog, 'BLOCK', block)
    monkeypatch.setattr(oslolog, 'RAW_BLOCK', 50)
    records, notes = _scan(path)
    assert notes == []
    assert [r.line for r in records] == [n + 11 * k for k in range(20) for n in (2, 6, 10)]
    assert all(r.text.endswith('ValueError: boom') for r in records[1::3])


def test_bytes_that_are_not_utf8_are_replaced(tmp_path):
    path = tmp_path / 'screen-c-vol.txt'
    path.write_bytes(_line(1, 'INFO', RID, 'device d\xe9v').encode('latin-1') + b'\xff\xfe\n')
    records, _ = _scan(path)
    assert records[0].text == _line(1, 'INFO', RID, 'device d\ufffdv') + '\ufffd\ufffd'


@pytest.mark.parametrize('content, why', [
    (b'\x00\x01binary\x00' * 100, 'a binary file'),
    (b'----system---- --total-cpu-usage--\n28-09 02:46:35|  5   2  93\n' * 10,
     'not an oslo.log file'),
])
def test_unknown_formats_are_skipped_with_a_note(tmp_path, content, why):
    path = tmp_path / 'screen-x.txt'
    path.write_bytes(content)
    records, notes = _scan(path)
    assert records == []
    assert len(notes) == 1 and why in notes[0] and 'skipped' in notes[0]


def test_megabyte_long_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / 'screen-n-api.txt'
    with open(str(path), 'w') as out:
        out.write(_line(1, 'INFO', RID, 'before'))
        out.write(_line(2, 'INFO', RID, 'x' * (3 << 20)))
        out.write(_line(3, 'INFO', RID, 'after'))
    records, notes = _scan(path)
    assert [(r.line, r.text[-6:]) for r in records] == [(1, 'before'), (3, ' after')]
    assert notes == ['%s: 1 line(s) longer than %d bytes skipped' % (path, oslolog.MAX_LINE)]


def test_a_damaged_gzip_keeps_what_was_read(tmp_path):
    path = tmp_path / 'screen-n-api.txt.gz'
    data = gzip.compress((_sample() * 2000).encode('utf-8'))
    path.write_bytes(data[:len(data) // 2])
    records, notes = _scan(path)
    assert records and all(r.ids or r.error for r in records)
    assert len(notes) == 1 and 'damaged after' in notes[0]


def test_special_files_and_symlinks_out_are_not_read(tmp_path):
    os.mkfifo(str(tmp_path / 'screen-fifo.txt'))
    outside = tmp_path / 'outside.txt'
    outside.write_text(_sample())
    logs = tmp_path / 'logs'
    logs.mkdir()
    os.symlink(str(outside), str(logs / 'screen-link.txt'))
    records, notes = _scan(tmp_path / 'screen-fifo.txt')
    assert records == [] and 'not a regular file (a FIFO)' in notes[0]
    scan = oslolog.Scan(str(logs / 'screen-link.txt'), os.path.realpath(str(logs)),
                        frozenset([UUID]))
    assert list(scan.records()) == [] and 'a symlink leading out of' in scan.notes[0]


def test_the_pass_needs_memory_for_the_ids_not_for_the_log(tmp_path):
    """An 8 MB log whose every line names some request id: the peak stays small."""
    path = tmp_path / 'screen-n-cpu.txt'
    filler = ''.join(_line(i % 60, 'DEBUG', 'req-%08d-0000-4000-8000-%012d - -' % (i, i),
                           'periodic task %d' % i) for i in range(2000))
    with open(str(path), 'w') as out:
        for _ in range(40):
            out.write(filler)
    assert path.stat().st_size > 8 << 20
    tracemalloc.start()
    try:
        records, notes = _scan(path, wanted=[b'00000007-0000-4000-8000-000000000007'])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(records) == 40 and notes == []
    assert peak < 6 * oslolog.BLOCK, peak


def _collector(tests):
    """tests: (id, status, start second, end second, attachment text)."""
    collector = servicelogs.Collector('run-0', 'run')
    for test_id, status, start, end, text in tests:
        stamps = ['2018-09-28T02:46:%06.3f+00:00' % t for t in (start, end)]
        collector.add({'id': test_id, 'status': status, 'timestamps': stamps},
                      {'pythonlogging': text})
    return collector


def _log_file(path):
    return servicelogs.LogFile(str(path), None, os.path.basename(str(path)),
                               '../' + os.path.basename(str(path)))


def test_index_gives_request_lines_to_their_test_and_errors_to_failed_tests(tmp_path):
    path = tmp_path / 'screen-n-api.txt'
    path.write_text(_sample())
    collector = _collector([
        ('ok', 'success', 0, 10, "x-openstack-request-id: '%s'" % RID),
        ('failed', 'fail', 4.5, 5.5, 'no request of its own'),
        ('late', 'inprogress', 9, 20, ''),
    ])
    notes = []
    result, = servicelogs.index(servicelogs.Plan([_log_file(path)]), [collector],
                                notes.append)
    assert notes == []
    ok, failed = result.tests[0], result.tests[1]
    assert [r[1] for r in ok.records] == [2, 6] and ok.errors == 1
    assert [r[1] for r in failed.records] == [10] and failed.errors == 1
    assert 2 not in result.tests
    start, step, counts = result.timeline
    assert sum(counts[0]) == 2


def test_caps_cut_with_a_count(tmp_path, monkeypatch):
    path = tmp_path / 'screen-n-api.txt'
    path.write_text(_sample() * 10)
    collector = _collector([('ok', 'success', 0, 10, RID)])
    monkeypatch.setattr(servicelogs, 'MAX_TEST_RECORDS', 3)
    result, = servicelogs.index(servicelogs.Plan([_log_file(path)]), [collector],
                                lambda m: None)
    assert len(result.tests[0].records) == 3 and result.tests[0].cut == 17
    monkeypatch.setattr(servicelogs, 'MAX_TEST_RECORDS', 1000)
    notes = []
    result, = servicelogs.index(servicelogs.Plan([_log_file(path)], max_run_bytes=500),
                                [collector], notes.append)
    kept = result.tests[0]
    assert sum(len(r[4]) for r in kept.records) <= 500 and result.cut == kept.cut > 0
    assert 'not kept (more than 500 bytes for the run)' in notes[0]


def test_time_and_size_budgets_stop_the_pass_with_a_note(tmp_path):
    path = tmp_path / 'screen-n-api.txt'
    path.write_text(_sample())
    collector = _collector([('ok', 'success', 0, 10, RID)])
    for plan, why in ((servicelogs.Plan([_log_file(path)], deadline=time.monotonic() - 1),
                       'time limit reached'),
                      (servicelogs.Plan([_log_file(path)], max_bytes=10),
                       'read limit reached')):
        notes = []
        result, = servicelogs.index(plan, [collector], notes.append)
        assert result.tests == {}
        assert notes == ['service logs: %s: stopped in screen-n-api.txt after %d bytes; '
                         'the rest is not indexed' % (why, len(_sample()))]


def test_find_logs_follows_devstack_layouts_and_globs(tmp_path):
    for rel in ('logs/screen-n-api.txt.gz', 'controller/logs/screen-c-vol.txt',
                'logs/other.txt', 'stackviz/screen-x.txt', 'logs/n-cpu.log'):
        os.makedirs(str(tmp_path / os.path.dirname(rel)), exist_ok=True)
        (tmp_path / rel).write_text('x')
    root = os.path.realpath(str(tmp_path))
    found = servicelogs.find_logs(root)
    assert [(f.rel, f.href, f.service) for f in found] == [
        ('controller/logs/screen-c-vol.txt', '../controller/logs/screen-c-vol.txt', 'c-vol'),
        ('logs/screen-n-api.txt.gz', '../logs/screen-n-api.txt.gz', 'n-api')]
    assert [f.rel for f in servicelogs.find_logs(root, ('logs/*.log',))] == ['logs/n-cpu.log']


def test_links_are_relative_urls_never_schemes(tmp_path):
    site = tmp_path / 'stackviz'
    site.mkdir()
    for name in ('javascript:alert(1)', 'a#b?c%d.txt'):
        (site / name).write_text('x')
    found = servicelogs.named_logs([str(site / '*')], str(site))
    assert sorted(f.href for f in found) == ['./a%23b%3Fc%25d.txt', './javascript%3Aalert%281%29']


def test_generated_job_shares_request_ids_with_its_tempest_run(tmp_path):
    job = generate_services.generate_job(str(tmp_path), tests=30, log_bytes=300000, fail_rate=0.3,
                                         seed=3)
    text = b''.join(gzip.open(f).read() for f in job['files'])
    assert b'\xe9' in text            # bytes that are not UTF-8
    lines = text.decode('utf-8', 'replace').splitlines()
    stamped = [line for line in lines if line[:2] == '20']
    assert len(stamped) > 0.6 * len(lines)
    assert all(HEAD.match(line) for line in stamped)
    # the others continue multi-line records (JSON bodies)
    assert all(line[:1] in (' ', '}') for line in lines if line[:2] != '20')
    assert any('Traceback (most recent call last)' in line for line in lines)
    ids = [rid for rids in job['requests'].values() for rid in rids]
    assert ids and all(rid.encode('ascii') in text for rid in ids[::7])
    assert job['failed']
    assert os.path.exists(os.path.join(str(tmp_path), 'logs', 'testrepository.subunit.gz'))


def test_a_huge_record_is_cut_with_a_marker(tmp_path):
    """200 continuation lines at most, 16 KB of text at most, and a visible mark."""
    path = tmp_path / 'screen-n-api.txt'
    body = ''.join('    %s\n' % ('x' * 200) for _ in range(10000))
    path.write_text(_line(1, 'INFO', RID, 'body:\n' + body) + _line(2, 'INFO', RID, 'ok'))
    records, notes = _scan(path)
    assert notes == []
    assert [r.line for r in records] == [1, 10003]
    first = records[0]
    assert first.text.endswith(oslolog.CUT_MARK)
    assert len(first.text.encode('utf-8')) == oslolog.MAX_RECORD_BYTES + len(oslolog.CUT_MARK)
    assert records[1].text.endswith('] ok')


def test_journal_exports_are_read_too(tmp_path):
    """Today's devstack: screen-*.txt are journalctl exports; the year is the run's."""
    path = tmp_path / 'screen-n-cpu.txt'
    src = 'devstack devstack@n-cpu.service[77]:'
    path.write_text(
        'Sep 28 02:46:35.626543 %s DEBUG nova.compute [None %s admin admin] body {\n'
        '    "a": 1\n}\n'
        'Sep 28 02:46:36.000001 %s ERROR nova.compute [None %s admin admin] Failed\n'
        'Sep 28 02:46:36.000002 %s ERROR nova.compute Traceback (most recent call last):\n'
        'Sep 28 02:46:36.000003 %s ERROR nova.compute ValueError: boom\n'
        'Sep 28 02:46:37.000000 %s INFO nova.compute [-] next\n'
        % (src, RID, src, OTHER, src, src, src))
    records, notes = _scan(path, year=2018)
    assert notes == []
    assert [(r.line, r.level, r.error, r.text.count('\n')) for r in records] == [
        (1, 'DEBUG', False, 2), (4, 'ERROR', True, 2)]
    assert records[0].time == pytest.approx(1538102795.626543)
    assert records[1].text.endswith('ValueError: boom')


class _FullSink:
    """A run writer whose output budget is used up after ``room`` tests and whose
    stats.json lists take nothing more."""

    def __init__(self, room):
        self.room = room
        self.added = 0
        self.asked = 0

    @property
    def full(self):
        return self.added >= self.room

    def listed(self, item):
        self.asked += 1
        return False

    def add(self, entry, details, *stamps):
        self.added += 1


def test_the_tap_shows_the_writers_budget_to_the_model():
    from stackviz_publish import model
    from stackviz_publish import readers
    from tests.unit.conftest import stream_bytes
    data, _ = stream_bytes(tests=40, workers=2, fail_rate=0.3, seed=3)
    sink = _FullSink(room=10)
    builder = model.RunBuilder(servicelogs.Tap(sink, servicelogs.Collector('run-0', 'run')))
    builder.consume(readers.read_events(readers.open_input(None, io.BytesIO(data)),
                                        readers.Damage()))
    builder.finish()
    assert sink.added == 10                 # no test handed over once it is full
    assert builder.left_out == 30
    assert sink.asked > 0 and not builder.failures   # the lists asked the budget
