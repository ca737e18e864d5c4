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

"""With default settings, the real CLIs stay within 256 MB of peak RSS and write at most
150 MB on the hostile families (scaled down so the suite stays fast): one test with 200
attachments of 1 MB, 40 ids of 4 MB, 100 failures ending in 1 MB lines, 20,000 tests with
1,000-character ids, and a 60 MB dstat log, all in one export and in one publish."""
import os
import subprocess
import sys

import pytest

from stackviz_publish.cli.harness import plural

from tests.unit import hostile_streams
from tests.unit import publish_fixtures as fx

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
MB = 1 << 20
MAX_RSS = 256 * MB
MAX_OUTPUT = 150 * MB


@pytest.fixture(scope='module')
def hostile(tmp_path_factory):
    logs = tmp_path_factory.mktemp('logs')
    streams = [
        hostile_streams.many_attachments(str(logs / 'att.subunit.gz'), 200, MB),
        hostile_streams.long_ids(str(logs / 'ids.subunit.gz'), 40, 4000000),
        hostile_streams.long_messages(str(logs / 'msg.subunit.gz'), 100, MB),
        hostile_streams.many_tests(str(logs / 'many.subunit.gz'), 20000, 1000),
    ]
    dstat = hostile_streams.dstat(str(logs / 'dstat-csv.log'), 60 * MB)
    return str(logs), streams, dstat


# Linux starts a child's peak RSS from the parent's at fork (and from the parent's peak
# when the child is a vfork that execs): a big pytest process would count. So a small
# Python forks the CLI, waits for it, and writes that child's own peak to a file.
MEASURE = r"""
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable] + sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], 'w') as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(argv, tmp_path):
    """Run a CLI in a fresh process; return (exit code, stderr, peak RSS in bytes)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    peak = str(tmp_path / 'peak')
    proc = subprocess.run([sys.executable, '-c', MEASURE, peak] + argv, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=300)
    with open(peak) as handle:
        return proc.returncode, proc.stderr, int(handle.read()) * 1024


def tree_size(path):
    return sum(os.lstat(os.path.join(d, f)).st_size
               for d, _, files in os.walk(path) for f in files)


CUT_FLAGS = ('--max-test-attachment-bytes', '--max-test-attachments', '--max-id-chars',
             '--max-dstat-bytes', '--max-output-bytes')


def check_warnings(lines, prefix, flags=CUT_FLAGS):
    assert all(line.startswith(prefix + ': warning: ') for line in lines), lines
    stderr = '\n'.join(lines)
    for flag in flags:
        assert any(flag in line for line in lines), (flag, stderr)
    # one line per kind of cut and input, never one per test
    assert len(lines) < 30, stderr


def test_export_stays_bounded(hostile, tmp_path):
    logs, streams, dstat = hostile
    argv = ['-m', 'stackviz_publish.cli.export_cmd', '--dstat', dstat]
    for stream in streams:
        argv += ['-f', stream]
    out = str(tmp_path / 'out')
    code, stderr, rss = run_measured(argv + [out], tmp_path)
    assert code == 0, stderr
    assert rss <= MAX_RSS and tree_size(out) <= MAX_OUTPUT, (rss, tree_size(out))
    check_warnings(stderr.splitlines(), 'stackviz-export', CUT_FLAGS + ('--max-message-chars',))


@pytest.mark.parametrize('flags, cuts', [
    # Compressed (the default), these logs fit in the output budget...
    ([], CUT_FLAGS[:-1]),
    # ...uncompressed, they do not.
    (['--no-compress'], CUT_FLAGS)])
def test_publish_stays_bounded(hostile, tmp_path, flags, cuts):
    logs, _, _ = hostile
    site = fx.write_site(str(tmp_path / 'site'))
    code, stderr, rss = run_measured(
        ['-m', 'stackviz_publish.cli.main', 'publish', logs, '--site', site,
         '--no-env', '--strict'] + flags, tmp_path)
    assert code == 4, stderr   # published, with warnings
    published = os.path.join(logs, 'stackviz')
    assert rss <= MAX_RSS and tree_size(published) <= MAX_OUTPUT, (
        rss, tree_size(published))
    lines = stderr.splitlines()
    assert lines[-1] == 'stackviz-publish: %s; the readable part was published' % (
        plural(len(lines) - 1, 'warning'))
    check_warnings(lines[:-1], 'stackviz-publish', cuts)
