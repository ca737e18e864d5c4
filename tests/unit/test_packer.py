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

"""The packer: whole data scripts written by a child process (or locally)."""
import json
import os
import signal
import zlib

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from stackviz_publish.format import json_string
from stackviz_publish.writers import datascript
from stackviz_publish.writers import packer
from stackviz_publish.writers import run as run_writer
from stackviz_publish.writers import scriptcodec

ENCODINGS = (datascript.GZIP, datascript.JSON, datascript.TEXT)
# What a log piece may hold (run._deferred quotes the rest itself).
HOSTILE = '</script><script>alert(1)</script>\n"quoted" back\\slash \t\r\n end'
CONTROL = '\x00\x01\x1f\x7f\b\f'


@pytest.fixture
def child():
    made = packer.ProcessPacker.start()
    assert made is not None, 'no child process could be started'
    yield made
    made.close(abort=True)


def pieces():
    """A shard's pieces: JSON text and ASCII logs left for the packer to quote."""
    return ['{', '"a": ', HOSTILE.encode('ascii'), ', "b": ', json_string('ünï\u2028'),
            ', "c": ', b'', ', "d": ', ('x' * 100).encode('ascii'), '}\n']


def expected():
    return {'a': HOSTILE, 'b': 'ünï\u2028', 'c': '', 'd': 'x' * 100}


@pytest.mark.parametrize('encoding', ENCODINGS)
def test_child_writes_what_the_site_reads(tmp_path, child, encoding):
    written = child.write(str(tmp_path), 's.js', encoding, pieces(), big=False)
    size = written.result()
    assert size == os.path.getsize(tmp_path / 's.js')
    rel, enc, text = datascript.read_script(str(tmp_path / 's.js'))
    assert (rel, enc) == ('s.js', encoding)
    assert json.loads(text) == expected()


@pytest.mark.parametrize('make', [packer.ProcessPacker.start, packer.Local])
def test_big_pieces_are_sent_in_slices(tmp_path, make):
    made = make()
    try:
        log = ('line "%d"\n' * 30000) % tuple(range(30000))   # about 400 KB
        big = json_string('y' * (packer.BIG + 10))
        parts = ['{"a": ', log.encode('ascii'), ', "b": ', big, '}']
        assert made.write(str(tmp_path), 'b.js', datascript.GZIP, parts).result() > 0
        made.wait()
    finally:
        made.close()
    _rel, _enc, text = datascript.read_script(str(tmp_path / 'b.js'))
    assert json.loads(text) == {'a': log, 'b': 'y' * (packer.BIG + 10)}


def test_local_and_child_write_the_same_bytes(tmp_path, child):
    (tmp_path / 'l').mkdir()
    (tmp_path / 'c').mkdir()
    local = packer.Local().write(str(tmp_path / 'l'), 's.js', datascript.GZIP, pieces())
    sent = child.write(str(tmp_path / 'c'), 's.js', datascript.GZIP, pieces(), big=False)
    assert local.result() == sent.result()
    assert (tmp_path / 'l' / 's.js').read_bytes() == (tmp_path / 'c' / 's.js').read_bytes()


def test_many_scripts_in_order(tmp_path, child):
    done = [child.write(str(tmp_path), '%d.js' % i, datascript.GZIP,
                        ['[', str(i).encode('ascii'), ']'], big=False) for i in range(300)]
    child.wait()
    for i, written in enumerate(done):
        assert written.result() == os.path.getsize(tmp_path / ('%d.js' % i))
        assert json.loads(datascript.read_script(str(tmp_path / ('%d.js' % i)))[2]) == [str(i)]


def test_a_write_error_is_one_line_naming_the_file(tmp_path, child):
    written = child.write(str(tmp_path / 'missing'), 'x.js', datascript.GZIP, ['{}'],
                          big=False)
    with pytest.raises(packer.PackerError) as caught:
        written.result()
    message = str(caught.value)
    assert 'x.js' in message and '\n' not in message and 'Traceback' not in message
    with pytest.raises(packer.PackerError):   # later calls fail the same way
        child.write(str(tmp_path), 'y.js', datascript.GZIP, ['{}'], big=False)


def test_a_link_planted_where_a_script_goes_is_not_followed(tmp_path, child):
    target = tmp_path / 'outside.txt'
    target.write_text('keep me')
    (tmp_path / 'd').mkdir()
    os.symlink(target, tmp_path / 'd' / 's.js')
    with pytest.raises(packer.PackerError):
        child.write(str(tmp_path / 'd'), 's.js', datascript.GZIP, ['{}'], big=False).result()
    assert target.read_text() == 'keep me'


def test_a_child_that_dies_is_an_error_not_a_hang(tmp_path, child):
    child.write(str(tmp_path), 'a.js', datascript.GZIP, ['{}'], big=False).result()
    os.kill(child._child.pid, signal.SIGKILL)
    child._child.wait()
    with pytest.raises(packer.PackerError) as caught:
        for i in range(50):   # the pipe may take a few writes before it breaks
            child.write(str(tmp_path), '%d.js' % i, datascript.GZIP, ['{}' * 1000],
                        big=False).result()
    assert 'ended' in str(caught.value)


def test_abort_ends_the_child_at_once(tmp_path, child):
    child.write(str(tmp_path), 'a.js', datascript.GZIP, ['{}'], big=False)
    child.close(abort=True)
    assert child._child.returncode is not None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x7f), max_size=300))
def test_deferred_size_is_the_quoted_size(value):
    deferred = run_writer._deferred(value)
    if deferred is None:   # quoted on the main thread: only for other control chars
        assert any(c in CONTROL or ord(c) < 0x20 and c not in '\n\r\t' for c in value)
        return
    data, more = deferred
    assert data == value.encode('ascii')
    assert len(value) + more == len(json_string(value))
    assert scriptcodec.quote(data) == json_string(value).encode('ascii')


def test_non_ascii_and_control_characters_are_quoted_before():
    for value in ('caf\u00e9', 'a\x00b', 'bell\x07', 'del\x7f', 'x\fy'):
        assert run_writer._deferred(value) is None


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=200), min_size=1,
                       max_size=4))
def test_detail_parts_sizes_agree_deferred_or_not(details):
    plain = run_writer._detail_parts(details)
    deferred = run_writer._detail_parts(details, defer=True)
    assert plain[1:] == deferred[1:]
    quoted = [json_string(p.decode('ascii')) if isinstance(p, bytes) else p
              for p in deferred[0]]
    assert ''.join(quoted) == ''.join(plain[0])
    assert json.loads(''.join(quoted)) == details


_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2030), max_size=20)
_RAW = st.text(alphabet=st.sampled_from('ab "\\\n\r\t<>/'), max_size=20)


@given(st.lists(st.one_of(_TEXT.map(json_string), _RAW.map(lambda t: t.encode('ascii'))),
                max_size=30))
@settings(max_examples=200, deadline=None)
def test_a_joined_frame_is_the_pieces_quoted_in_order(parts):
    """The child's few-calls join (one str, one bytes) gives what quoting and joining
    piece by piece gives."""
    one_by_one = b''.join(scriptcodec.quote(p) if p.__class__ is bytes
                          else p.encode('ascii') for p in parts)
    assert scriptcodec.joined(*packer.joinable(parts)) == one_by_one


def test_isal_is_used_where_installed_and_zlib_reads_it(tmp_path, child):
    """With python-isal installed (requirements.txt, where it has wheels) the data
    files are deflated by it, in this process and in the packer's child (which is
    told where it lives); any gzip reader, zlib's included, reads them."""
    pytest.importorskip('isal', reason='python-isal is not installed here')
    assert scriptcodec.deflate is not zlib
    assert child._child.args[-1] == scriptcodec.isal_folder()
    written = child.write(str(tmp_path), 's.js', datascript.GZIP, pieces(), big=False)
    written.result()
    assert json.loads(datascript.read_script(str(tmp_path / 's.js'))[2]) == expected()


def test_without_isal_zlib_deflates_and_the_child_is_told_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(scriptcodec, 'deflate', zlib)
    assert scriptcodec.isal_folder() is None
    made = packer.ProcessPacker.start()
    try:
        assert made._child.args[-1] == scriptcodec.__file__
        made.write(str(tmp_path), 's.js', datascript.GZIP, pieces(), big=False).result()
    finally:
        made.close()
    local = packer.Local().write(str(tmp_path), 'l.js', datascript.GZIP, pieces())
    assert local.result() > 0
    for name in ('s.js', 'l.js'):
        assert json.loads(datascript.read_script(str(tmp_path / name))[2]) == expected()
