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

"""Our v1 reader (readers/subunit_v1.py) against python-subunit's v1 parser as the
exporter used it before (tests/unit/v1_oracle.py): the same events and the same
damage, on generated, mutated and hostile streams."""
import io
import os
import random

import pytest

from stackviz_publish.readers import subunit_v1
from stackviz_publish.readers import subunit_v2
from tests.unit import v1_oracle
from tests.unit.conftest import SHARED
from tests.unit.conftest import stream_bytes
from tests.unit.test_fuzz import mutate
from tests.unit.test_fuzz import v1_of

M = subunit_v1.V1_LINE


def _read(reader, data):
    damage = subunit_v2.Damage()
    events = list(reader(io.BufferedReader(io.BytesIO(data)), damage))
    return events, damage.messages(), damage.truncated_at


def _same(data):
    ours = _read(subunit_v1.read_lines, data)
    assert ours == _read(v1_oracle.read_v1, data)
    return ours


@pytest.fixture(scope='module')
def generated():
    data, _ = stream_bytes(tests=40, workers=3, fail_rate=0.3, skip_rate=0.2, log_bytes=700,
                           hostile=True, unfinished=2, seed=5)
    return v1_of(data)


def test_generated_run(generated):
    events, messages, _cut = _same(generated)
    assert len({e[0] for e in events}) == 41 and messages == []
    assert {e[1] for e in events} >= {'inprogress', 'success', 'fail', 'skip'}
    assert any(e[4] == "pythonlogging:''" and e[5] for e in events)


def test_every_cut(generated):
    for end in range(0, len(generated), 97):
        _same(generated[:end])


def test_mutated(generated):
    rng = random.Random(int(os.environ.get('STACKVIZ_FUZZ_SEED', '2026')))
    for _ in range(60):
        _same(mutate(rng, generated, True))


# What python-subunit's parser does with odd lines: skips them, raises (damage), or
# reads them in its own way ("sk:" is a skip: its test for skip is a substring test).
ODD = [b'test: a\nfailure: a [\nline\n ]quoted\n]\n',
       b'test: a\nprogress: +3\nprogress: push\nprogress: x\nprogress:\nsuccess: a\n',
       b'test: a\n:: a\n', b'test: a\nsk: a\n', b'test: z\nski: z\n',
       b'uxsuccess: q\ntest: q\nuxsuccess: q\n', b'tags: -a b\ntest: t\ntags: c -b\nxfail: t\n',
       b'time: 2020-02-30 00:00:00Z\ntime: 2020-01-01T00:00:00+05:00\ntest: t\n'
       b'time: 2020-01-01 00:00:01.5Z\nsuccess: t\n',
       b'test: \xff\xfe\nsuccess: \xff\xfe\n', b'test: a\xc3',
       b'test: a\xc3\ntest: b\nsuccess: b\n',
       b'  test: a\ntest:a\ntest: a\n',
       b'testing:\tb\nsuccessful: b [ multipart\nContent-Type: a/b\nx\n3\r\nabc0\r\n]\n',
       b'test: b\nerror: b [ multipart\nContent-Type: a/b\nx\nzz\r\nabc\n]\ntest: c\n',
       b'test: b\nskip: b [ multipart\nC\nx\n2\r\nab]\n]\nC\n]\n']


@pytest.mark.parametrize('data', ODD)
def test_odd_lines(data):
    _same(data)


@pytest.mark.parametrize('size', [M - 40, M - 5, M - 3, M - 2, M - 1, M, M + 1])
def test_pieces_of_long_lines(size):
    """Lines over V1_LINE are read in pieces: a chunk header, "]" or a quoted line
    that a piece boundary cuts reads as before."""
    head = b'test: a\nfailure: a [ multipart\nContent-Type: text/plain\nlog\n'
    tail = b'test: b\nsuccess: b\n'
    for after in (b'5\r\nabcde0\r\n]\n', b']\n', b'0' * 40 + b'3\r\nabc0\r\n]\n'):
        _same(head + b'%x\r\n' % size + b'z' * size + after + tail)
    for end in (b']\n', b' ]\n'):
        _same(b'test: a\nfailure: a [\n' + b'q' * size + end + b']\n' + tail)
    _same(b'test: ' + b'n' * size + b'\nsuccess: ' + b'n' * size + b'\n' + tail)
    # A piece that ends inside a character: python-subunit's parser is then in a
    # test whose name it could not read, and every later outcome line fails.
    events, messages, cut = _same(b'test: ' + b'n' * (size - 7) + b'\xc3\xa9\n' + tail)
    if size == M:
        assert events == [] and cut is not None and 'damaged' in messages[0]


def test_shared_v1_stream():
    path = os.path.join(SHARED, 'tacker-stestr-16.v1.subunit')
    if not os.path.exists(path):
        pytest.skip('%s is absent' % path)
    with open(path, 'rb') as stream:
        events, messages, _cut = _same(stream.read())
    assert messages == [] and len(events) > 100
