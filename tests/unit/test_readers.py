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

"""Readers: our v2 packet reader against python-subunit's own parser, gzip, v1,
repositories, dstat checks."""
import datetime
import gzip
import io
import os
import random

import pytest
import testtools
from subunit import ByteStreamToStreamResult

from stackviz_publish import generate
from stackviz_publish import readers
from stackviz_publish.readers import dstat
from stackviz_publish.readers import repository
from stackviz_publish.readers import subunit_v2
from tests.unit.conftest import SHARED
from tests.unit.conftest import stream_bytes
from tests.unit.test_fuzz import v1_of

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _Events(testtools.StreamResult):
    """python-subunit's view of a stream, as our event tuples."""

    def __init__(self):
        super().__init__()
        self.events = []

    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True,
               file_name=None, file_bytes=None, eof=False, mime_type=None,
               route_code=None, timestamp=None):
        stamp = None
        if timestamp is not None:
            delta = timestamp - EPOCH
            stamp = (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
        self.events.append((test_id, test_status, sorted(test_tags) if test_tags else None,
                            stamp, file_name,
                            bytes(file_bytes) if file_bytes is not None else None,
                            eof, route_code))


def _subunit_events(data):
    result = _Events()
    ByteStreamToStreamResult(io.BytesIO(data)).run(result)
    return result.events


def _our_events(data):
    damage = subunit_v2.Damage()
    events = [(e[0], e[1], sorted(e[2]) if e[2] else None) + e[3:]
              for e in subunit_v2.read_packets(io.BytesIO(data), damage)]
    return events, damage


def test_v2_reader_matches_python_subunit():
    data, _ = stream_bytes(tests=120, workers=3, unfinished=1, hostile=True, seed=5)
    ours, damage = _our_events(data)
    theirs = _subunit_events(data)
    assert ours == theirs
    assert damage.messages() == [] and damage.packets == len(theirs)


def test_v2_reader_route_codes_and_big_packets():
    out = io.BytesIO()
    from subunit import v2
    writer = v2.StreamResultToBytes(out)
    when = datetime.datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    writer.status(test_id='a', test_status='inprogress', route_code='0/1', timestamp=when)
    writer.status(test_id='a', file_name='log', file_bytes=b'x' * 3000000, eof=True,
                  mime_type='text/plain', route_code='0/1')
    writer.status(test_id='a', test_status='success', test_tags={'worker-1', 'smoke'},
                  route_code='0/1', timestamp=when)
    ours, _ = _our_events(out.getvalue())
    assert ours == _subunit_events(out.getvalue())
    assert ours[0][3] == 1577836800123456


@pytest.mark.skipif(not os.path.isdir(SHARED), reason='shared subunit streams absent: '
                    + SHARED)
def test_v2_reader_matches_on_real_streams():
    for name in sorted(os.listdir(SHARED)):
        if not name.endswith('.subunit') or '.v1.' in name:
            continue
        data = open(os.path.join(SHARED, name), 'rb').read()
        ours, damage = _our_events(data)
        assert ours == _subunit_events(data), name
        assert not damage.messages(), name


def test_detection(tmp_path):
    data, _ = stream_bytes(tests=20)
    cases = {
        'v2': data,
        'gz': gzip.compress(data),
        'v1': b'time: 2020-01-01 00:00:00Z\ntest: a.b\nsuccess: a.b\n',
        'noise': b'some runner output\n' + data,
        'text': b'hello world\n' * 10,
        'empty': b'',
        'random': bytes(range(256)) * 40,
    }
    kinds = {}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        opened = readers.open_input(str(path))
        kinds[name] = (opened.kind, opened.compressed)
        opened.close()
        assert readers.looks_like_subunit(str(path)) == (name in ('v2', 'gz', 'v1',
                                                                  'noise'))
    assert kinds == {'v2': ('v2', False), 'gz': ('v2', True), 'v1': ('v1', False),
                     'noise': ('v2', False), 'text': (None, False),
                     'empty': ('empty', False), 'random': (None, False)}
    # A file that cannot be read is not "not subunit": the reason is raised, for the note.
    with pytest.raises(readers.ReadError, match='missing: no such file'):
        readers.looks_like_subunit(str(tmp_path / 'missing'))


def test_stream_input_and_noise_warning():
    data, _ = stream_bytes(tests=10)
    opened = readers.open_input(stream=io.BytesIO(b'runner says hi\n' + data))
    damage = subunit_v2.Damage()
    events = list(readers.read_events(opened, damage))
    assert len(events) == damage.packets > 10
    assert damage.messages() == ['15 byte(s) of non-subunit data skipped (first at byte 0)']


def test_v1_events():
    v1 = (b'time: 2020-01-01 00:00:00.000000Z\ntest: pkg.A.test_one\n'
          b'time: 2020-01-01 00:00:02.500000Z\nsuccess: pkg.A.test_one\n'
          b'test: pkg.A.test_two\nfailure: pkg.A.test_two [\nboom\n]\n'
          b'test: pkg.A.test_three\n')
    opened = readers.open_input(stream=io.BytesIO(v1))
    assert opened.kind == 'v1'
    events = list(readers.read_events(opened, subunit_v2.Damage()))
    finals = {e[0]: e[1] for e in events if e[1] not in (None, 'inprogress')}
    assert finals['pkg.A.test_one'] == 'success'
    assert finals['pkg.A.test_two'] == 'fail'
    stamps = [e[3] for e in events if e[0] == 'pkg.A.test_one' and e[3]]
    assert max(stamps) - min(stamps) == 2500000


def test_repository_latest_and_chosen(tmp_path):
    repo = tmp_path / '.stestr'
    repo.mkdir()
    for run in (0, 1, 2, 10):
        (repo / str(run)).write_bytes(b'')
    (repo / 'next-stream').write_text('11\n')
    (repo / 'format').write_text('1\n')
    assert repository.run_path(str(repo))[1:] == (10, str(repo / '10'))
    assert repository.run_path(str(tmp_path))[1] == 10   # the project folder works too
    assert repository.run_path(str(repo), '1')[1] == 1
    assert repository.run_path(str(repo), -2)[1] == 2
    with pytest.raises(readers.ReadError, match='has no run 5'):
        repository.run_path(str(repo), 5)
    with pytest.raises(readers.ReadError, match='not a number'):
        repository.run_path(str(repo), 'latest')
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(readers.ReadError, match='neither a .stestr'):
        repository.run_path(str(empty))
    with pytest.raises(readers.ReadError, match='not a folder'):
        repository.run_path(str(tmp_path / 'nope'))


def test_dstat_check(tmp_path):
    good = tmp_path / 'dstat.csv'
    with open(good, 'w') as out:
        generate.generate_dstat(out, generate.DEFAULT_START, 5)
    assert dstat.check_dstat(str(good)) is None
    epoch = tmp_path / 'epoch.csv'
    epoch.write_text('"epoch","usr"\n1538102795.0,3.1\n')
    assert dstat.check_dstat(str(epoch)) is None
    cases = {
        'text': ('just a log\n' * 30, 'no dstat column row'),
        'header_only': ('"time","usr"\n', 'no data rows'),
        'wrong_rows': ('"time","usr"\nhello,1\n', "starts with 'hello'"),
        'binary': (bytes(range(256)).decode('latin-1') * 3, 'no dstat column row'),
    }
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_text(content)
        assert reason in dstat.check_dstat(str(path)), name
    assert 'cannot be read' in dstat.check_dstat(str(tmp_path / 'missing'))


def test_close_leaves_caller_streams_open(tmp_path):
    data, _ = stream_bytes(tests=3)
    caller = io.BytesIO(data)
    opened = readers.open_input(stream=caller)
    opened.close()
    assert not caller.closed
    path = tmp_path / 's.subunit'
    path.write_bytes(data)
    opened = readers.open_input(str(path))
    opened.close()
    assert opened._owned.closed


# -- linear time whatever the damage -------------------------------------------------

# A header claiming 4 MB (3-byte length 0x3FFFFF): what binary test output can hold.
FALSE_4MB = b'\xb3\x2b\x00\xbf\xff\xff'
# A header claiming 64 KB, with a test id flag: a false packet of a plausible size.
FALSE_64KB = b'\xb3\x2b\x00\x81\x00\x00'


class _CrcCounter:
    """Stands in for the zlib module in subunit_v2: counts checksummed bytes."""

    def __init__(self):
        import zlib
        self._crc32 = zlib.crc32
        self.bytes = 0

    def crc32(self, data, value=0):
        self.bytes += len(data)
        return self._crc32(data, value)


def _read_counting(monkeypatch, data):
    counter = _CrcCounter()
    monkeypatch.setattr(subunit_v2, 'zlib', counter)
    events, damage = _our_events(data)
    return events, damage, counter.bytes


def test_false_headers_cost_linear_work(monkeypatch):
    good, _ = stream_bytes(tests=30, seed=21)
    expected = _subunit_events(good) * 2
    work = {}
    for count in (100000, 400000):
        data = good + FALSE_64KB * count + good
        events, damage, crc_bytes = _read_counting(monkeypatch, data)
        # The good packets after the damage are all found again.
        assert events == expected
        assert damage.bad_packets == count
        # Checksums: each good byte once, false candidates from the credit only.
        assert crc_bytes <= (1 + subunit_v2.CREDIT_PER_BYTE) * len(data) \
            + subunit_v2.CREDIT_START
        assert damage.wasted_crc_bytes <= subunit_v2.CREDIT_PER_BYTE * len(data) \
            + subunit_v2.CREDIT_START
        work[count] = crc_bytes + damage.bad_packets + damage.packets
    # Four times the false headers, at most about four times the work (not sixteen).
    assert work[400000] <= 4.4 * work[100000]


def test_false_4mb_headers_repeated(monkeypatch):
    """One false header every 64 bytes, each claiming 4 MB: 100,000 of them would be
    400 GB of checksums if each were checked."""
    good, _ = stream_bytes(tests=10, seed=22)
    region = (FALSE_4MB + bytes(58)) * 100000
    data = good + region + good
    events, damage, crc_bytes = _read_counting(monkeypatch, data)
    assert events == _subunit_events(good) * 2
    assert crc_bytes <= (1 + subunit_v2.CREDIT_PER_BYTE) * len(data) \
        + subunit_v2.CREDIT_START
    assert damage.unchecked > 0   # the credit ran out and said so
    # At the very end, the same headers claim past the end: no rescan per header.
    events, damage, crc_bytes = _read_counting(monkeypatch, good + region[:3000000])
    assert events == _subunit_events(good)
    assert damage.truncated_at == len(good) and damage.bad_packets == 0
    assert crc_bytes <= len(good) + subunit_v2.CREDIT_START


def test_big_packet_after_damage_is_recovered():
    out = io.BytesIO()
    from subunit import v2
    writer = v2.StreamResultToBytes(out)
    writer.status(test_id='a', test_status='inprogress')
    writer.status(test_id='a', file_name='log', file_bytes=b'y' * 3000000, eof=True,
                  mime_type='text/plain')
    writer.status(test_id='a', test_status='fail')
    # Damage as a test writing binary output makes it: random bytes, some of which
    # look like headers claiming 64 KB.
    noise = random.Random(7).randbytes(100000) + FALSE_64KB * 50
    ours, damage = _our_events(noise + out.getvalue())
    assert ours == _subunit_events(out.getvalue())
    assert damage.bad_packets > 50
    ours, damage = _our_events(FALSE_64KB * 1000 + out.getvalue())
    assert ours == _subunit_events(out.getvalue()) and damage.unchecked > 0
    # The limit of the bound: false headers each followed by another (as real packets
    # are) can use up the reserve too, and then a big packet is skipped unchecked.
    ours, damage = _our_events((FALSE_64KB + b'\0\0') * 20000 + out.getvalue())
    assert damage.unchecked > 0 and ours != _subunit_events(out.getvalue())


def test_find_packet():
    good, _ = stream_bytes(tests=2, seed=23)
    assert subunit_v2.find_packet(good) == 0
    assert subunit_v2.find_packet(b'text\xb3' + FALSE_64KB * 10 + good) == 5 + 60
    assert subunit_v2.find_packet(FALSE_4MB * 1000) == -1
    assert subunit_v2.find_packet(good[:-1]) == -1 or len(_subunit_events(good)) > 1


# -- odd bytes ------------------------------------------------------------------------


def _packet(flags, body):
    """One v2 packet with a two-byte length field."""
    length = 1 + 2 + 2 + len(body) + 4
    head = bytes([0xB3, flags >> 8, flags & 0xFF, 0x40 | (length >> 8), length & 0xFF])
    import zlib
    crc = zlib.crc32(head + body)
    return head + body + crc.to_bytes(4, 'big')


def _v2_status(test_id, status, seconds=None, nanos=0):
    flags = 0x2000 | 0x0800 | subunit_v2.STATUSES.index(status)
    body = b''
    if seconds is not None:
        flags |= 0x0200
        body += seconds.to_bytes(4, 'big') + _varint(nanos)
    return _packet(flags, body + _varint(len(test_id)) + test_id)


def _varint(n):
    if n < 0x40:
        return bytes([n])
    if n < 0x4000:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    if n < 0x400000:
        return bytes([0x80 | (n >> 16), (n >> 8) & 0xFF, n & 0xFF])
    return bytes([0xC0 | (n >> 24), (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


ISO = r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$'


def _export(tmp_path, data):
    from stackviz_publish.cli import export_cmd
    from tests.unit.conftest import read_json
    path = tmp_path / 'in.subunit'
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['-f', str(path), str(tmp_path / 'o')], out, err)
    assert code == 0, err.getvalue()
    return (read_json(tmp_path / 'o', 'in.subunit-0-raw.json'),
            read_json(tmp_path / 'o', 'in.subunit-0-stats.json'), err.getvalue())


def test_v2_timestamps_at_the_limits(tmp_path):
    import re
    data = b''.join(
        _v2_status(b't%d' % i, 'inprogress', seconds, nanos)
        + _v2_status(b't%d' % i, 'success', seconds, nanos)
        for i, (seconds, nanos) in enumerate([(0, 0), (2 ** 32 - 1, 999999999),
                                              (2 ** 32 - 1, 2 ** 30 - 1), (5, 0)]))
    raw, stats, _ = _export(tmp_path, data)
    stamps = [s for t in raw for s in t['timestamps']] + [stats['start'], stats['end']]
    assert len(stamps) == 10
    for stamp in stamps:
        assert re.match(ISO, stamp), stamp
        datetime.datetime.fromisoformat(stamp)
    assert stats['start'] == '1970-01-01T00:00:00.000000+00:00'
    assert stats['end'] == '2106-02-07T06:28:16.073741+00:00'   # 2**32 s + 2**30 ns


def test_v1_timestamps_any_year(tmp_path):
    import re
    lines = []
    for i, when in enumerate(['0001-01-01 00:00:00Z', '0001-01-01 00:30:00+05:00',
                              '1000-06-01 12:00:00Z', '9999-12-31 23:59:59-03:00',
                              'not a time', '2020-01-01 00:00:00Z']):
        lines.append(b'time: %s\ntest: t%d\nsuccess: t%d\n' % (when.encode(), i, i))
    raw, stats, err = _export(tmp_path, b''.join(lines))
    assert [t['status'] for t in raw] == ['success'] * 6
    stamps = {t['name']: t['timestamps'][0] for t in raw}
    for stamp in stamps.values():
        assert re.match(ISO, stamp), stamp
        datetime.datetime.fromisoformat(stamp)
    assert stamps['t0'] == '0001-01-01T00:00:00.000000+00:00'
    assert stamps['t1'] == '0001-01-01T00:00:00.000000+00:00'      # moved in
    assert stamps['t2'] == '1000-06-01T12:00:00.000000+00:00'
    assert stamps['t3'] == '9999-12-31T23:59:59.999999+00:00'      # moved in
    assert stamps['t4'] == stamps['t3']   # a garbage time line: the time before stands
    assert '2 time(s) outside the years 1 to 9999' in err
    assert any('outside the years 1 to 9999' in w for w in stats['warnings'])


V1_ODD = (b'time: 2020-01-01 00:00:00Z\ntags: worker-0 odd\xfftag\n'
          b'test: pkg.A.test_\xffone\nfailure: pkg.A.test_\xffone [\nTraceback\n'
          b'  File "x.py", line 1\nValueError: caf\xe9 \xff\n]\n'
          b'test: pkg.A.test_two\nerror: pkg.A.test_two [ multipart\n'
          b'Content-Type: text/plain;charset=utf8\ntrace\xffback\n5\r\nab\xffcd0\r\n]\n'
          b'test: pkg.A.test_three\nskip: pkg.A.test_three [\nno \xff reason\n]\n'
          b'test: pkg.A.test_four\nxfail: pkg.A.test_four [\n\xff\n]\n'
          b'test: pkg.A.test_five\nsuccess: pkg.A.test_five\n')


def test_non_utf8_bytes_never_change_a_status(tmp_path):
    clean = V1_ODD.replace(b'\xff', b'x').replace(b'\xe9', b'e')
    results = {}
    for name, data in (('odd', V1_ODD), ('clean', clean)):
        raw, stats, err = _export(tmp_path, data)
        results[name] = ([t['status'] for t in raw], stats['counts'], len(stats['failures']))
        assert 'damaged' not in err, err
    assert results['odd'] == results['clean']
    assert results['odd'][0] == ['fail', 'fail', 'skip', 'xfail', 'success']
    raw, stats, _ = _export(tmp_path, V1_ODD)
    assert raw[0]['name'] == 'pkg.A.test_\ufffdone'
    assert 'ValueError: caf\ufffd \ufffd' in stats['failures'][0]['details'][-1]


def test_v2_non_utf8_ids_keep_their_status(tmp_path):
    data = (_v2_status(b'a\xff', 'inprogress', 10) + _v2_status(b'a\xff', 'fail', 11)
            + _v2_status(b'b\xc3', 'inprogress', 12) + _v2_status(b'b\xc3', 'success', 13))
    raw, stats, _ = _export(tmp_path, data)
    expected = [('a\ufffd', 'fail'), ('b\ufffd', 'success')]
    assert [(t['name'], t['status']) for t in raw] == expected
    assert stats['counts']['fail'] == 1


def _outcomes(events):
    """What the model keeps of a stream: per test, its final status and its files."""
    found = {}
    for test_id, status, _tags, _stamp, file_name, file_bytes, _eof, _route in events:
        entry = found.setdefault(test_id, [None, {}])
        if file_name is not None and file_bytes:   # the model drops empty files too
            entry[1][file_name] = entry[1].get(file_name, b'') + file_bytes
        if status not in (None, 'inprogress', 'exists'):
            entry[0] = status
    return found


def test_v1_matches_v2_on_generated_runs():
    data, _ = stream_bytes(tests=40, workers=3, fail_rate=0.3, skip_rate=0.2,
                           hostile=True, seed=24)
    v1 = v1_of(data)
    opened = readers.open_input(stream=io.BytesIO(v1))
    assert opened.kind == 'v1'
    damage = subunit_v2.Damage()
    ours = _outcomes(readers.read_events(opened, damage))
    assert ours == _outcomes(_subunit_events(data)) and damage.messages() == []


def test_v1_long_traceback_reads_in_linear_time():
    """python-subunit grows a v1 traceback by concatenation: 20 MB in 100-byte lines
    took over ten minutes. Simple and multipart details alike."""
    import time
    body = b'x' * 99 + b'\n'
    simple = b'test: a\nfailure: a [\n' + body * 200000 + b']\ntest: b\nsuccess: b\n'
    chunks = b''.join(b'%x\r\n' % len(body * 10) + body * 10 for _ in range(20000))
    multipart = (b'test: a\nfailure: a [ multipart\nContent-Type: text/plain\ntraceback\n'
                 + chunks + b'0\r\n]\ntest: b\nsuccess: b\n')
    for data in (simple, multipart):
        start = time.perf_counter()
        events = list(readers.read_events(readers.open_input(stream=io.BytesIO(data)),
                                          subunit_v2.Damage()))
        assert time.perf_counter() - start < 30
        found = _outcomes(events)
        assert found['a'] == ['fail', {'traceback': body * 200000}]
        assert found['b'][0] == 'success'


def test_v1_bad_chunk_header_keeps_the_outcome_and_what_follows():
    data = (b'test: a\nfailure: a [ multipart\nContent-Type: text/plain\ntraceback\n'
            b'5\r\nhello3\r\nabcZZ\r\nmore\n]\n'
            b'test: b\nerror: b [ multipart\nContent-Type: text/plain\nlog\n4\r\nabcd]\n'
            b'test: c\nsuccess: c\n')
    found = _outcomes(readers.read_events(readers.open_input(stream=io.BytesIO(data)),
                                          subunit_v2.Damage()))
    assert found == {'a': ['fail', {'traceback': b'helloabc'}],
                     'b': ['fail', {'log': b'abcd'}], 'c': ['success', {}]}
