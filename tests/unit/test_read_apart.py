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

"""A file read by a child process (readers.apart) gives the same events, damage and
warnings as read in process, and a child that fails is a one-line error."""
import filecmp
import gzip
import io
import os
import random

import pytest

from stackviz_publish import readers
from stackviz_publish.cli import main as cli_main
from stackviz_publish.readers import apart
from tests.unit import hostile_streams
from tests.unit.conftest import stream_bytes
from tests.unit.test_fuzz import v1_of


def _both(path):
    """(events, damage state, problem) read in process, then by a child."""
    out = []
    for child in (False, True):
        opened = readers.open_input(path)
        damage = readers.Damage()
        events = apart.read_apart(opened, damage, path, min_bytes=0) if child else None
        try:
            if child:
                assert events is not None
            got = list(events if child else readers.read_events(opened, damage))
        finally:
            if events is not None:
                events.close()
            opened.close()
        out.append((got, vars(damage), opened.problem))
    return out


def _damaged(data, seed=3):
    """``data`` with garbage put in, a checksum broken, and its tail cut off."""
    rng = random.Random(seed)
    data = bytearray(data)
    at = len(data) // 3
    data[at:at] = b'not subunit \xb3\x20\x01 at all\n' * 20
    flip = len(data) // 2
    data[flip] ^= 0x55
    return bytes(data[:len(data) - rng.randint(5, 50)])


@pytest.mark.parametrize('kind', ['v2', 'damaged', 'v1', 'gzip-cut'])
def test_same_events_damage_and_problem_as_in_process(tmp_path, kind):
    data, _ = stream_bytes(tests=120, workers=3, log_bytes=300, unfinished=2, seed=5)
    if kind == 'damaged':
        data = _damaged(data)
    elif kind == 'v1':
        data = v1_of(data)
    elif kind == 'gzip-cut':
        data = gzip.compress(data)[:-4000]
    path = tmp_path / 'run.subunit'
    path.write_bytes(data)
    (events, damage, problem), (events2, damage2, problem2) = _both(str(path))
    assert len(events) > 100
    assert events2 == events
    assert damage2 == damage
    assert problem2 == problem
    if kind == 'damaged':
        assert damage['bad_packets'] or damage['skipped_bytes']
        assert damage['truncated_at'] is not None
    if kind == 'gzip-cut':
        assert problem and 'gzip' in problem


def test_small_files_and_streams_are_read_in_process(tmp_path):
    data, _ = stream_bytes(tests=5)
    path = tmp_path / 'run.subunit'
    path.write_bytes(data)
    opened = readers.open_input(str(path))
    try:
        assert apart.read_apart(opened, readers.Damage(), str(path)) is None
    finally:
        opened.close()
    opened = readers.open_input(stream=io.BytesIO(data))
    assert apart.read_apart(opened, readers.Damage(), 'stdin', min_bytes=0) is None


def _reading(tmp_path):
    """(path, opened input, Apart) of a 3,000-test file being read by a child."""
    path = tmp_path / 'run.subunit'
    path.write_bytes(stream_bytes(tests=3000, log_bytes=2000)[0])
    opened = readers.open_input(str(path))
    return path, opened, apart.read_apart(opened, readers.Damage(), str(path), min_bytes=0)


def test_a_child_that_dies_is_a_one_line_error(tmp_path):
    path, opened, events = _reading(tmp_path)
    try:
        it = iter(events)
        next(it)
        events._child.kill()
        with pytest.raises(readers.ReadError) as caught:
            for _ in it:
                pass
        message = str(caught.value)
        assert '\n' not in message and str(path) in message
        assert 'reader process ended' in message
    finally:
        events.close()
        opened.close()
    assert events._child.returncode is not None


def test_close_ends_a_child_at_once(tmp_path):
    _path, opened, events = _reading(tmp_path)
    next(iter(events))
    events.close()
    opened.close()
    assert events._child.returncode is not None


def test_a_read_error_in_the_child_comes_back_as_its_message(tmp_path):
    path = tmp_path / 'run.subunit'
    path.write_bytes(stream_bytes(tests=50)[0])
    out = io.BytesIO()
    fd = os.open(str(tmp_path), os.O_RDONLY)   # a folder: reading it fails
    try:
        apart.serve(fd, 'the-input', out)
    finally:
        os.close(fd)
    kind, size = apart.FRAME.unpack(out.getvalue()[:apart.FRAME.size])
    message = out.getvalue()[apart.FRAME.size:].decode('utf-8')
    assert kind == apart.ERROR and len(message) == size
    assert message.startswith('the-input') and '\n' not in message


# The tests are made in the child too (model.TestMaker), with the same limits; the
# output budget stays this process's (what it leaves out, what stats.json lists).
@pytest.mark.parametrize('flags, said', [
    ([], ['damaged']),
    (['--max-output-bytes', '1500000'],
     ['left out of the run', 'not listed in stats.json', 'without their attachments']),
    (['--max-message-chars', '40', '--max-attachment-bytes', '300', '--max-id-chars', '60'],
     ['failure message(s) or skip reason(s) cut', 'attachment(s) cut', 'test id(s) cut']),
])
def test_export_writes_the_same_files_either_way(tmp_path, monkeypatch, flags, said):
    data, _ = stream_bytes(tests=400, workers=4, log_bytes=500, unfinished=3, seed=9)
    path = tmp_path / 'run.subunit'
    path.write_bytes(_damaged(data, seed=4))
    outs = []
    children = []

    def spy(*args, **kwargs):
        got = apart.read_apart(*args, **kwargs)
        children.append(got is not None)
        return got
    monkeypatch.setattr(readers, 'read_apart', spy)
    for min_bytes in (0, 1 << 40):
        monkeypatch.setattr(apart, 'MIN_BYTES', min_bytes)
        out, err = io.StringIO(), io.StringIO()
        target = tmp_path / ('out-%d' % min_bytes)
        assert cli_main.main(['export', '-f', str(path), str(target)] + flags, out,
                             err) == 0
        outs.append((target, err.getvalue()))
    assert children == [True, False]
    (a, warned_a), (b, warned_b) = outs
    assert warned_a == warned_b
    for text in said:
        assert text in warned_a
    compared = filecmp.dircmp(str(a), str(b))
    assert not compared.diff_files and not compared.left_only and not compared.right_only
    for sub in compared.subdirs.values():
        assert not sub.diff_files and not sub.left_only and not sub.right_only


@pytest.mark.parametrize('make', [
    lambda p: hostile_streams.long_ids(p, 3, 300000),
    lambda p: hostile_streams.many_attachments(p, 40, 50000),
    lambda p: hostile_streams.many_tests(p, 3000, 200),
])
def test_hostile_streams_read_apart_as_in_process(tmp_path, make):
    path = str(tmp_path / 'hostile.subunit')
    make(path)
    (events, damage, problem), (events2, damage2, problem2) = _both(path)
    assert events2 == events and damage2 == damage and problem2 == problem
