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

"""Hostile subunit v2 streams and dstat logs for the limit tests, written with
python-subunit's StreamResultToBytes (gzipped, so the big ones stay small on disk)."""
import datetime
import gzip

from subunit import StreamResultToBytes

CHUNK = 1 << 20
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def write(path, tests):
    """``tests``: iterable of (test_id, status, [(file_name, bytes), ...]); each test
    runs for one second, one after the other, on worker 0."""
    with gzip.open(path, 'wb', compresslevel=1) as out:
        stream = StreamResultToBytes(out)
        for n, (test_id, status, files) in enumerate(tests):
            stream.status(test_id=test_id, test_status='inprogress', timestamp=_at(n))
            for file_name, data in files:
                for at in range(0, len(data), CHUNK):   # a packet holds at most 4 MB
                    stream.status(test_id=test_id, file_name=file_name,
                                  file_bytes=data[at:at + CHUNK],
                                  mime_type='text/plain; charset=utf8',
                                  eof=at + CHUNK >= len(data), timestamp=_at(n))
            stream.status(test_id=test_id, test_status=status, timestamp=_at(n + 1),
                          test_tags={'worker-0'})
    return path


def many_attachments(path, count, size):
    """One test with ``count`` attachments of ``size`` bytes, then one plain test."""
    files = [('log%d' % i, b'x' * size) for i in range(count)]
    return write(path, [('p.test_big', 'success', files), ('p.test_after', 'fail', [
        ('traceback', b'Traceback (most recent call last):\nValueError: after\n')])])


def long_ids(path, count, size):
    """``count`` tests whose ids are ``size`` characters, differing only at the end,
    with one status packet each (a v2 packet holds at most 4 MB)."""
    with gzip.open(path, 'wb', compresslevel=1) as out:
        stream = StreamResultToBytes(out)
        body = 'p.' + 'a' * (size - 8)
        for n in range(count):
            stream.status(test_id='%s%06d' % (body, n), test_status='success',
                          timestamp=_at(n))
    return path


def long_messages(path, count, line_bytes):
    """``count`` failures whose traceback ends in one line of ``line_bytes`` bytes."""
    tail = b'ValueError: ' + b'\xc3\xa9' * (line_bytes // 2) + b'\n'
    return write(path, [('p.test_%d' % n, 'fail', [(
        'traceback', b'Traceback (most recent call last):\n  File "x.py", line 1\n'
        + tail)]) for n in range(count)])


def many_tests(path, count, id_chars):
    """``count`` tests (one packet each) with ids of ``id_chars`` characters."""
    with gzip.open(path, 'wb', compresslevel=1) as out:
        stream = StreamResultToBytes(out)
        for n in range(count):
            stream.status(test_id=('p.%09d.' % n).ljust(id_chars, 'z'),
                          test_status='success', timestamp=_at(n))
    return path


DSTAT_HEAD = ('"Dool 1.0.0 CSV output"\r\n"Author:","x"\r\n"Host:","node"\r\n'
              '"Cmdline:","dool"\r\n\r\n'
              '"system","total cpu usage",,,,,"memory usage",,,,"net/total",,"dsk/total"'
              + ',' * 13 + '\r\n'
              '"time","usr","sys","idl","wai","stl","used","free","buf","cach","recv",'
              '"send","read","writ"' + ''.join(',"c%d"' % n for n in range(12)) + '\r\n')
_DSTAT_TAIL = ',3,90,0,0,1234567890,987654321,12345678,123456789,12345,54321,0,40960' \
    + ',1.5' * 12 + '\r\n'


def dstat(path, size):
    """A dstat CSV log of about ``size`` bytes, one row a second (times wrap daily)."""
    with open(path, 'w', newline='') as out:
        out.write(DSTAT_HEAD)
        written, row = len(DSTAT_HEAD), 0
        while written < size:
            block = ''.join(['01-01 %02d:%02d:%02d,%d%s' % (
                (n // 3600) % 24, (n // 60) % 60, n % 60, n % 100, _DSTAT_TAIL)
                for n in range(row, row + 10000)])
            out.write(block)
            written += len(block)
            row += 10000
    return path
