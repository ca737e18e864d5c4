"""Readers: our v2 packet reader against python-subunit's own parser, gzip, v1,
repositories, dstat checks."""
import datetime
import gzip
import io
import os

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
