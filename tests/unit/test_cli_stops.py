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

"""Ctrl-C, SIGTERM and the time limit, with real signals to real processes: one line,
no traceback, no stage or temporary folder left, the previous output kept."""
import glob
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.unit import publish_fixtures as fx
from tests.unit.conftest import stream_bytes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PUBLISH = [sys.executable, '-m', 'stackviz_publish.cli.main', 'publish']
EXPORT = [sys.executable, '-m', 'stackviz_publish.cli.export_cmd']


def start(argv, site=None):
    """A command reading a stream from a pipe that we feed slowly (stdin kept open)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    env.pop('STACKVIZ_DEBUG', None)
    if site:
        env['STACKVIZ_SITE'] = site
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def trickle(proc, data):
    """Write the start of a stream and leave the pipe open: the reader now waits."""
    proc.stdin.write(data[:len(data) // 2])
    proc.stdin.flush()


def wait_for(pattern, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = glob.glob(pattern)
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError('nothing matched %s' % pattern)


def finish(proc, timeout=30):
    """Wait for the end without closing its stdin (that would end the stream)."""
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdin.close()
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    return proc.returncode, out.decode(), err.decode()


def listing(folder):
    """Every path under ``folder`` (hidden ones included), relative to it."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            found.append(os.path.relpath(os.path.join(root, name), folder))
    return sorted(found)


@pytest.fixture
def site(tmp_path_factory):
    return fx.write_site(str(tmp_path_factory.mktemp('site')))


@pytest.fixture
def stream():
    return stream_bytes(tests=200, log_bytes=2000, seed=3)[0]


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_publish_stopped_by_signal(tmp_path, site, stream, signum):
    logs = str(tmp_path)
    fx.write_stream(os.path.join(logs, 'old.subunit'), tests=10)
    proc = start(PUBLISH + [logs], site)
    assert finish(proc)[0] == 0
    before = listing(logs)
    proc = start(PUBLISH + [logs, '--subunit', '-'], site)
    trickle(proc, stream)
    wait_for(os.path.join(logs, '.stackviz.tmp-*', '.data.tmp-*', '*'))
    proc.send_signal(signum)
    code, out, err = finish(proc)
    assert code == 128 + signum
    assert out == ''
    name = 'interrupted (SIGINT)' if signum == signal.SIGINT else 'terminated (SIGTERM)'
    assert err == 'stackviz-publish: error: %s; %s left as it was\n' % (
        name, os.path.join(logs, 'stackviz'))
    assert listing(logs) == before   # the previous site kept, no stage left


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_export_stopped_by_signal(tmp_path, stream, signum):
    out_dir = str(tmp_path / 'out')
    proc = start(EXPORT + ['-i', out_dir])
    trickle(proc, stream)
    wait_for(str(tmp_path / '.out.tmp-*' / '*'))
    proc.send_signal(signum)
    code, out, err = finish(proc)
    assert code == 128 + signum and out == ''
    assert len(err.splitlines()) == 1 and 'Traceback' not in err
    assert err.startswith('stackviz-export: error: ')
    assert os.listdir(str(tmp_path)) == []


def test_publish_time_limit_on_a_stalled_pipe(tmp_path, site, stream):
    logs = str(tmp_path)
    fx.write_stream(os.path.join(logs, 'old.subunit'), tests=10)
    assert finish(start(PUBLISH + [logs], site))[0] == 0
    before = listing(logs)
    for extra, expected in (([], 0), (['--strict'], 5)):
        proc = start(PUBLISH + [logs, '--subunit', '-', '--time-limit', '1'] + extra, site)
        began = time.monotonic()
        trickle(proc, stream)   # then nothing more: the read blocks
        code, out, err = finish(proc)
        assert time.monotonic() - began < 15
        assert code == expected and out == ''
        assert err == 'stackviz-publish: error: time limit of 1 s reached; %s left as it ' \
                      'was\n' % os.path.join(logs, 'stackviz')
        assert listing(logs) == before


def test_publish_time_limit_while_busy(tmp_path, site):
    """A large stream and a tiny limit: the time runs out while parsing and writing."""
    logs = str(tmp_path / 'logs')
    fx.write_stream(os.path.join(logs, 'tempest.subunit'), tests=12000, log_bytes=4000,
                    seed=5)
    began = time.monotonic()
    code, out, err = finish(start(PUBLISH + [logs, '--time-limit', '0.3'], site))
    assert time.monotonic() - began < 15
    assert code == 0 and out == '' and len(err.splitlines()) == 1
    assert 'time limit of 0.3 s reached' in err
    assert listing(logs) == ['tempest.subunit']


def test_killed_export_temp_is_removed_by_next_run(tmp_path, stream):
    out_dir = str(tmp_path / 'out')
    proc = start(EXPORT + ['-i', out_dir])
    trickle(proc, stream)
    (left,) = wait_for(str(tmp_path / '.out.tmp-*'))
    wait_for(os.path.join(left, '*'))
    # A second export while the first runs: the first one's folder is in use, kept.
    stream_file = tmp_path / 's.subunit'
    stream_file.write_bytes(stream)
    other = str(tmp_path / 'other' / 'out')
    assert finish(start(EXPORT + ['-f', str(stream_file), out_dir]))[0] == 0
    assert os.path.isdir(left)
    proc.kill()
    proc.wait()
    assert os.path.isdir(left)   # SIGKILL: nothing could clean up
    # A folder of the same name pattern that is not ours is never touched.
    foreign = tmp_path / '.out.tmp-mine'
    foreign.mkdir()
    (foreign / 'keep.txt').write_text('not the exporter\'s')
    code, out, err = finish(start(EXPORT + ['-f', str(stream_file), out_dir]))
    assert code == 0, err
    assert not os.path.exists(left)
    assert (foreign / 'keep.txt').exists()
    assert not os.path.exists(other)


def test_serve_ends_on_ctrl_c_with_one_line(tmp_path, site):
    proc = start([sys.executable, '-m', 'stackviz_publish.cli.main', 'serve', site,
                  '--port', '0'])
    first = proc.stdout.readline().decode()
    assert first.startswith('Serving ')
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 0 and err == ''
    assert out == 'stackviz-publish: stopped: interrupted (SIGINT)\n'


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGKILL])
def test_no_reader_process_outlives_a_stopped_publish(tmp_path, site, signum):
    """A big file is read by a child process (readers.apart), beside the packer's:
    stopping the publish, even by SIGKILL, leaves neither behind."""
    logs = str(tmp_path / 'logs')
    path = os.path.join(logs, 'big-run.subunit')
    fx.write_stream(path, tests=6000, log_bytes=4000, seed=6)
    assert os.path.getsize(path) > 8 << 20
    proc = start(PUBLISH + [logs], site)
    deadline = time.monotonic() + 20
    while len(_children(proc.pid)) < 2:   # the packer and the reader
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    kids = _children(proc.pid)
    proc.send_signal(signum)
    finish(proc)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in kids if _alive(pid)]


def _children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(k) for k in f.read().split()]
    except OSError:
        return []


def _alive(pid):
    """Whether ``pid`` runs (a zombie, dead and not yet reaped, does not)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False
