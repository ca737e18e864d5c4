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

"""One input policy for every file read: regular files only, opened without blocking,
nothing read through a symlink leading out of the folder it was found in, and errors
named for what they are. Every case ends in a published site (when some input is fine)
and a one-line note, never a hang and never a traceback."""
import contextlib
import errno
import io
import os
import shutil
import signal
import socket
import stat

import pytest

from stackviz_publish import discover
from stackviz_publish import metadata
from stackviz_publish import readers
from stackviz_publish.cli import export_cmd
from stackviz_publish.readers import dstat
from stackviz_publish.readers import files

from tests.unit import publish_fixtures as fx
from tests.unit.test_publish import artifacts
from tests.unit.test_publish import config
from tests.unit.test_publish import run_cli
from tests.unit.test_publish import site  # noqa: F401 (a fixture)
from tests.unit.test_publish_safety import _world_dir
from tests.unit.test_publish_safety import complete
from tests.unit.test_publish_safety import NOBODY
from tests.unit.test_publish_safety import publish_in_child

PROC_MEM = '/proc/self/mem'   # a regular file whose first read fails with EIO


@pytest.fixture(autouse=True)
def no_hang():
    """A read that blocks (a FIFO with no writer) fails the test instead of hanging it."""
    def expired(signum, frame):
        raise AssertionError('blocked on a read')
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def reason(path, within=None):
    with pytest.raises(files.InputError) as err:
        files.open_file(str(path), within)
    assert '\n' not in str(err.value)
    return err.value.reason


def test_regular_files_only(tmp_path):
    (tmp_path / 'ok').write_bytes(b'abc')
    with files.open_file(str(tmp_path / 'ok')) as handle:
        assert handle.read() == b'abc'
    with files.open_file(str(tmp_path / 'ok'), text=True) as handle:
        assert handle.read() == 'abc'
    os.mkfifo(str(tmp_path / 'fifo'))
    assert reason(tmp_path / 'fifo') == 'not a regular file (a FIFO)'
    assert reason(tmp_path) == 'not a regular file (a folder)'
    assert reason(tmp_path / 'missing') == 'no such file'
    for device in ('/dev/null', '/dev/zero'):
        os.symlink(device, str(tmp_path / os.path.basename(device)))
        assert reason(tmp_path / os.path.basename(device)) == \
            'not a regular file (a character device)'


def test_named_symlink_is_followed_found_one_must_stay_inside(tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'run.subunit').write_bytes(b'data')
    logs = tmp_path / 'logs'
    (logs / 'sub').mkdir(parents=True)
    os.symlink(str(outside / 'run.subunit'), str(logs / 'out.subunit'))
    os.symlink(str(outside), str(logs / 'sub' / 'dir'))
    (logs / 'in.subunit').write_bytes(b'inside')
    os.symlink(str(logs / 'in.subunit'), str(logs / 'sub' / 'alias.subunit'))
    root = os.path.realpath(str(logs))
    with files.open_file(str(logs / 'out.subunit')) as handle:   # named by the user
        assert handle.read() == b'data'
    assert reason(logs / 'out.subunit', root) == 'a symlink leading out of %s' % root
    assert reason(logs / 'sub' / 'dir' / 'run.subunit', root).startswith('a symlink')
    with files.open_file(str(logs / 'sub' / 'alias.subunit'), root) as handle:
        assert handle.read() == b'inside'


def test_read_error_is_named_io_error_not_oserror():
    if not os.path.exists(PROC_MEM):
        pytest.skip('no %s here' % PROC_MEM)
    with files.open_file(PROC_MEM) as handle:
        with pytest.raises(files.InputError, match='I/O error at byte 0') as err:
            handle.read(10)
    assert not isinstance(err.value, OSError)   # never mistaken for a write failure


def test_discovery_notes_every_special_file(tmp_path):
    logs = tmp_path / 'logs'
    fx.write_stream(str(logs / 'good.subunit'), tests=5)
    os.mkfifo(str(logs / 'fifo.subunit'))
    os.mkfifo(str(logs / 'pipe'))
    os.symlink(str(logs / 'pipe'), str(logs / 'to-fifo.subunit'))
    os.symlink('/dev/zero', str(logs / 'zero.subunit'))
    os.symlink('/dev/null', str(logs / 'null.subunit.gz'))
    (logs / 'folder').mkdir()
    os.symlink('folder', str(logs / 'dir.subunit'))   # a real folder is walked into
    os.mkfifo(str(logs / 'dstat-csv_log.txt'))
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(logs / 'sock.subunit'))
    found = discover.discover(os.path.realpath(str(logs)),
                              looks_like_subunit=readers.looks_like_subunit)
    assert [os.path.basename(p) for p in found.subunit] == ['good.subunit']
    assert found.dstat == []
    notes = '\n'.join(found.notes)
    assert 'fifo.subunit: not a regular file (a FIFO)' in notes
    assert 'to-fifo.subunit: not a regular file (a FIFO)' in notes
    assert 'dstat-csv_log.txt: not a regular file (a FIFO)' in notes
    # /dev/zero and /dev/null lead out of the logs folder: refused before any open.
    assert 'zero.subunit: a symlink leading out of' in notes
    assert 'null.subunit.gz: a symlink leading out of' in notes
    assert 'dir.subunit: not a regular file (a folder)' in notes
    assert 'sock.subunit: not a regular file (a socket)' in notes
    assert len(found.notes) == 7
    server.close()


def test_publish_with_special_files_in_logs(tmp_path, site):  # noqa: F811
    logs = tmp_path / 'logs'
    _, summary = fx.devstack_gate(str(tmp_path), tests=10)
    os.mkfifo(str(logs / 'pipe'))
    os.symlink('pipe', str(logs / 'other.subunit'))
    (logs / 'subnode-2').mkdir()
    os.symlink('../pipe', str(logs / 'subnode-2' / 'dstat-csv.log'))
    os.symlink('/dev/zero', str(logs / 'zero.subunit'))
    code, out, err = run_cli([str(logs), '--strict'], environ={})
    assert code == 4, err
    assert complete(str(logs / 'stackviz'), 'testrepository.subunit.gz')
    assert err.count('\n') == 4 and 'Traceback' not in err
    assert 'other.subunit: not a regular file (a FIFO)' in err
    assert 'dstat-csv.log: not a regular file (a FIFO)' in err
    assert 'zero.subunit: a symlink leading out of' in err
    assert [a['node'] for a in artifacts(config(str(logs)), 'dstat')] == ['primary']


def write_repo_with_run_leading_out(repo, outside):
    """A .stestr whose latest run is a symlink to a stream outside the logs folder."""
    fx.write_stestr(repo, tests=5)
    fx.write_stream(os.path.join(outside, 'other-job.subunit'), tests=7)
    os.symlink(os.path.join(outside, 'other-job.subunit'), os.path.join(repo, '1'))


def test_repository_run_leading_out_is_not_read(tmp_path, site):  # noqa: F811
    logs = tmp_path / 'logs'
    write_repo_with_run_leading_out(str(logs / 'bad' / '.stestr'), str(tmp_path / 'out'))
    fx.write_stestr(str(logs / 'good' / '.stestr'), tests=4)
    code, out, err = run_cli([str(logs)], environ={})
    assert code == 0 and 'Traceback' not in err
    assert 'published' in out and ': 4 tests' in out and ': 7 tests' not in out
    assert err.count('\n') == 2
    assert 'bad/.stestr/1: a symlink leading out of %s' % os.path.realpath(str(logs)) in err
    # Alone, it leaves nothing to publish: one line, nothing written.
    shutil.rmtree(str(logs / 'good'))
    shutil.rmtree(str(logs / 'stackviz'))
    code, out, err = run_cli([str(logs)], environ={})
    assert code == 0 and 'nothing to publish' in out and err.count('\n') == 1
    assert not os.path.exists(str(logs / 'stackviz'))


def test_repository_run_that_is_a_fifo(tmp_path, site):  # noqa: F811
    logs = tmp_path / 'logs'
    fx.write_stestr(str(logs / '.stestr'), tests=5)
    os.mkfifo(str(logs / '.stestr' / '1'))
    fx.write_stream(str(logs / 'unit.subunit'), tests=3)
    # The repository is not read when a saved stream is there; without it, its
    # latest run (the FIFO) is refused by name, not replaced by an older one.
    os.remove(str(logs / 'unit.subunit'))
    code, out, err = run_cli([str(logs)], environ={})
    assert code == 0 and 'nothing to publish' in out
    assert '.stestr/1: not a regular file (a FIFO)' in err


def test_work_dir_files_leading_out_are_not_read(tmp_path, site):  # noqa: F811
    logs, work, _ = fx.zuul_v3(str(tmp_path))
    os.remove(os.path.join(work, 'testrepository.subunit'))
    shutil.rmtree(os.path.join(work, '.stestr'))
    outside = str(tmp_path / 'elsewhere')
    fx.write_stream(os.path.join(outside, 'secret.subunit'), tests=3)
    os.symlink(os.path.join(outside, 'secret.subunit'),
               os.path.join(work, 'testrepository.subunit'))
    write_repo_with_run_leading_out(os.path.join(work, '.stestr'), outside)
    os.remove(os.path.join(work, '.stestr', '0'))
    code, out, err = run_cli([logs, '--work-dir', work], environ={})
    assert code == 0 and 'nothing to publish' in out, out + err
    real_work = os.path.realpath(work)
    assert 'testrepository.subunit: a symlink leading out of %s' % real_work in err
    assert '.stestr/1: a symlink leading out of %s' % real_work in err
    assert err.count('\n') == 2


def test_named_inputs_may_be_symlinks_but_not_special(tmp_path):
    data, _ = fx.stream_bytes(tests=5)
    (tmp_path / 'real.subunit').write_bytes(data)
    os.symlink(str(tmp_path / 'real.subunit'), str(tmp_path / 'link.subunit'))
    os.mkfifo(str(tmp_path / 'fifo'))
    os.symlink('/dev/zero', str(tmp_path / 'zero'))
    fx.write_dstat(str(tmp_path / 'dstat.csv'))

    def export(*argv):
        out, err = io.StringIO(), io.StringIO()
        code = export_cmd.main(list(argv), out, err)
        assert 'Traceback' not in err.getvalue()
        return code, err.getvalue()

    code, err = export('-f', str(tmp_path / 'link.subunit'), '--dstat', str(tmp_path / 'zero'),
                       str(tmp_path / 'o'))
    assert code == 0 and err.count('\n') == 1
    assert 'not used: it cannot be read (not a regular file (a character device))' in err
    code, err = export('-f', str(tmp_path / 'fifo'), str(tmp_path / 'o2'))
    assert code == 1 and err == 'stackviz-export: error: cannot read %s: not a regular ' \
        'file (a FIFO)\n' % (tmp_path / 'fifo')
    code, err = export('-f', str(tmp_path / 'link.subunit'), '-f', str(tmp_path / 'zero'),
                       '--dstat', str(tmp_path / 'fifo'), str(tmp_path / 'o3'))
    assert code == 0 and err.count('\n') == 2
    assert 'skipped: cannot read %s: not a regular file' % (tmp_path / 'zero') in err
    assert 'dstat log %s not used: it cannot be read (not a regular file (a FIFO))' \
        % (tmp_path / 'fifo') in err


def test_named_repository_runs_stay_inside_it(tmp_path):
    write_repo_with_run_leading_out(str(tmp_path / 'repo' / '.stestr'), str(tmp_path / 'out'))
    os.symlink(str(tmp_path / 'repo'), str(tmp_path / 'link'))   # the named path may be one
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['-r', str(tmp_path / 'link'), str(tmp_path / 'o')], out, err)
    run = tmp_path / 'link' / '.stestr' / '1'
    repo = os.path.realpath(str(tmp_path / 'repo' / '.stestr'))
    assert code == 1 and err.getvalue() == 'stackviz-export: error: cannot read %s: a ' \
        'symlink leading out of %s\n' % (run, repo)
    code = export_cmd.main(['-r', str(tmp_path / 'link'), '--run', '0', str(tmp_path / 'o')],
                           out, err)
    assert code == 0 and 'stestr: 5 tests' in out.getvalue()


@pytest.mark.skipif(not os.path.exists(PROC_MEM), reason='needs ' + PROC_MEM)
def test_io_errors_are_named(tmp_path, site):  # noqa: F811
    data, _ = fx.stream_bytes(tests=5)
    (tmp_path / 's.subunit').write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['-f', PROC_MEM, str(tmp_path / 'o')], out, err)
    assert code == 1
    assert err.getvalue() == 'stackviz-export: error: cannot read %s: I/O error at byte 0\n' \
        % PROC_MEM
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['-f', str(tmp_path / 's.subunit'), '-f', PROC_MEM, '--dstat',
                            PROC_MEM, str(tmp_path / 'o')], out, err)
    assert code == 0 and 'cannot write' not in err.getvalue()
    assert err.getvalue().count('I/O error at byte 0') == 2
    assert dstat.check_dstat(PROC_MEM) == 'it cannot be read (I/O error at byte 0)'
    logs, _ = fx.devstack_gate(str(tmp_path / 'ws'), tests=5)
    code, out, err = run_cli([logs, '--zuul-json', PROC_MEM], environ={})
    assert code == 0 and 'published' in out
    assert err == 'stackviz-publish: warning: job metadata: cannot read %s: I/O error at ' \
        'byte 0; publishing without it\nstackviz-publish: 1 warning; the readable ' \
        'part was published\n' % PROC_MEM


@pytest.mark.parametrize('content,message', [
    ('{not json', 'is not valid JSON'),
    ('{"zuul": {"items": [1]}}', 'no change: zuul.items[-1] is a number'),
    ('[' * 50000 + ']' * 50000, 'nested too deeply'),
    ('{"zuul": {"job": "%s"}}' % ('j' * 5000), 'zuul.job cut at 1024 characters of 5000'),
    ('{"zuul": {"job": {"name": ["x"]}, "pipeline": "gate"}}', 'no job: zuul.job.name'),
])
def test_bad_zuul_json_still_publishes(tmp_path, site, content, message):  # noqa: F811
    logs, summary = fx.devstack_gate(str(tmp_path), tests=10)
    (tmp_path / 'zuul.json').write_text(content)
    code, out, err = run_cli([logs, '--zuul-json', str(tmp_path / 'zuul.json'), '--strict'],
                             environ={'ZUUL_PIPELINE': 'p' * 3000})
    assert code == 4, err
    assert complete(os.path.join(logs, 'stackviz'), 'testrepository.subunit.gz')
    lines = err.splitlines()
    assert message in lines[1] and 'environment pipeline cut' in lines[0]
    assert len(lines) == 3 and 'Traceback' not in err
    dataset = config(logs)['datasets'][0]
    for value in dataset['metadata'].values():
        assert len(value) <= metadata.MAX_VALUE_CHARS + len(metadata.CUT_MARKER)
    assert 'pipeline' in dataset['metadata']


def _open_to_nobody(root):
    for folder, dirs, names in os.walk(root):
        os.chown(folder, NOBODY, NOBODY)
        os.chmod(folder, 0o755)
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_permission_denied_is_named(tmp_path):
    """As an unprivileged user (nobody when the tests run as root)."""
    as_root = os.geteuid() == 0
    root = _world_dir() if as_root else str(tmp_path)
    try:
        site_dir = fx.write_site(os.path.join(root, 'site'))
        logs, _ = fx.devstack_gate(root, tests=5)
        fx.write_stream(os.path.join(logs, 'private', 'unit.subunit'), tests=3)
        if as_root:
            _open_to_nobody(root)
            # Modules live under /root, out of nobody's reach: load them all first.
            warm, _ = fx.devstack_gate(str(tmp_path / 'warm'), tests=5)
            run_cli([warm], environ={'STACKVIZ_SITE': site_dir})
        private = os.path.join(logs, 'private', 'unit.subunit')
        os.chmod(private, 0)
        if not as_root and os.access(private, os.R_OK):
            pytest.skip('this user reads files whatever their mode')
        code, out, err = publish_in_child(logs, site_dir, uid=NOBODY if as_root else None)
        assert code == 0, err
        assert err.splitlines()[0] == 'stackviz-publish: warning: ignoring %s: permission ' \
            'denied' % private
        assert 'does not look like' not in err and len(err.splitlines()) == 2
        assert complete(os.path.join(logs, 'stackviz'), 'testrepository.subunit.gz')
    finally:
        if as_root:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, 'logs', 'private', 'unit.subunit'),
                         stat.S_IRUSR)
            shutil.rmtree(root, ignore_errors=True)


def test_io_error_mid_stream_skips_the_run_and_leaves_no_file(tmp_path, monkeypatch):
    """A disk that fails after the first bytes (simulated: no real file fails on cue)."""
    data, _ = fx.stream_bytes(tests=200, log_bytes=2048)
    for name in ('good.subunit', 'failing.subunit'):
        (tmp_path / name).write_bytes(data)

    class FailingDisk(io.FileIO):
        def readinto(self, buffer):
            if self.tell() >= 65536:
                raise OSError(errno.EIO, 'Input/output error')
            return super().readinto(buffer)

    class FailingFile(files.CheckedFile, FailingDisk):
        pass

    checked = files.CheckedFile
    monkeypatch.setattr(files, 'CheckedFile', lambda fd, path: (
        FailingFile if path.endswith('failing.subunit') else checked)(fd, path))
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['-f', str(tmp_path / 'good.subunit'), '-f',
                            str(tmp_path / 'failing.subunit'), str(tmp_path / 'o')], out, err)
    assert code == 0
    assert err.getvalue() == 'stackviz-export: warning: skipped: cannot read %s: I/O error ' \
        'at byte 65536\n' % (tmp_path / 'failing.subunit')
    assert not [n for n in os.listdir(str(tmp_path / 'o')) if n.startswith('failing')]
