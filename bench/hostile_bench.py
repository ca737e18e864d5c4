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

"""Time, peak RSS and output size of stackviz-export and publish on hostile input.

Generates one input per hostile family (false headers, many attachments, long ids,
long failure messages, big dstat, gzip bomb, a v1 traceback of many lines), then
runs ``stackviz-export`` and ``stackviz-publish publish`` on each, as subprocesses
of each checkout given with --repo (this one by default), and prints one row per
run. Peak RSS is GNU time's maximum resident set size of the command; a run that
passes --timeout shows as "TIMEOUT >N s" and is killed.

    python bench/hostile_bench.py                          # this checkout, scale 0.25
    python bench/hostile_bench.py --repo /work/wt/base --repo . --scale 1
    python bench/hostile_bench.py --cases false-headers,gzip-bomb

--scale multiplies every family's size (1 = the sizes of issue 8: 1,000 attachments
of 1 MB, 300 ids of 4 MB, 60 failure messages of 1 MB lines, 400 MB of dstat, 1 GB
gzip bomb; and a 40 MB v1 traceback); the sizes used are printed. --mem-limit caps
each run's address space, so that a "before" run cannot take the machine down.
"""
import argparse
import datetime
import gzip
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from subunit import v2  # noqa: E402

from stackviz_publish import generate  # noqa: E402

MB = 1 << 20
START = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
# Bytes that look like v2 packet headers: one claiming 4 MB, one claiming 64 KB.
FALSE_HEADERS = b'\xb3\x2b\x00\xbf\xff\xff' + b'\xb3\x2b\x00\x81\x00\x00'


def _good(out, tests=20):
    generate.generate_stream(out, tests=tests, workers=2, log_bytes=200, seed=1)


def _gz(path):
    return gzip.GzipFile(path, 'wb', compresslevel=6, mtime=0)


def make_false_headers(path, scale):
    """A few good tests, 1 MB of false headers (about 1 KB gzipped), good tests."""
    with _gz(path) as out:
        _good(out)
        out.write(FALSE_HEADERS * (MB // len(FALSE_HEADERS)))
        _good(out)
    return '1 MB of false headers between two runs of 20 tests (not scaled)'


def make_attachments(path, scale):
    count = max(1, int(1000 * scale))
    chunk = b'attachment line\n' * (MB // 16)
    with _gz(path) as out:
        writer = v2.StreamResultToBytes(out)
        writer.status(test_id='t.many', test_status='inprogress', timestamp=START)
        for i in range(count):
            writer.status(test_id='t.many', file_name='log-%d' % i, file_bytes=chunk,
                          eof=True, mime_type='text/plain')
        writer.status(test_id='t.many', test_status='success', timestamp=START)
    return 'one test, %d attachments of 1 MB' % count


def make_long_ids(path, scale):
    count = max(1, int(300 * scale))
    rng = random.Random(3)
    block = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz._') for _ in range(16384))
    body = (block * (4000000 // len(block) + 1))[:4000000 - 16]
    with _gz(path) as out:
        writer = v2.StreamResultToBytes(out)
        for i in range(count):
            test_id = 'id%05d.' % i + body
            writer.status(test_id=test_id, test_status='inprogress', timestamp=START)
            writer.status(test_id=test_id, test_status='success', timestamp=START)
    return '%d test ids of 4 MB' % count


def make_long_messages(path, scale):
    count = max(1, int(60 * scale))
    line = ('x' * (MB - 1)).encode()
    with _gz(path) as out:
        writer = v2.StreamResultToBytes(out)
        for i in range(count):
            test_id = 't.fail_%d' % i
            writer.status(test_id=test_id, test_status='inprogress', timestamp=START)
            trace = (b'Traceback (most recent call last):\n  File "t.py", line 1\n'
                     b'ValueError: ' + line + b'\n')
            writer.status(test_id=test_id, file_name='traceback', file_bytes=trace,
                          eof=True, mime_type='text/x-traceback')
            writer.status(test_id=test_id, test_status='fail', timestamp=START)
    return '%d failures whose message is one 1 MB line' % count


def make_big_dstat(path, scale, dstat_path):
    with _gz(path) as out:
        _good(out)
    want = int(400 * MB * scale)
    with open(dstat_path, 'w') as out:
        generate.generate_dstat(out, START, 100)
    per_row = os.path.getsize(dstat_path) / 100.0
    with open(dstat_path, 'w') as out:
        generate.generate_dstat(out, START, max(10, int(want / per_row)))
    return '%.0f MB dstat log (and 20 tests)' % (os.path.getsize(dstat_path) / 1e6)


def make_gzip_bomb(path, scale):
    size = max(MB, int(1024 * MB * scale))
    zeros = bytes(MB)
    with _gz(path) as out:
        _good(out)
        for _ in range(size // MB):
            out.write(zeros)
    return '20 tests and %d MB of zero bytes, gzipped' % (size // MB)


def make_v1_traceback(path, scale):
    """A v1 failure whose traceback is many short lines (python-subunit's own v1
    parser grows it by concatenation)."""
    lines = max(1000, int(400000 * scale))
    with _gz(path) as out:
        out.write(b'time: 2020-01-01 00:00:00Z\ntest: t.a\nfailure: t.a [\n')
        for _ in range(lines // 1000):
            out.write((b'x' * 99 + b'\n') * 1000)
        out.write(b']\ntest: t.b\nsuccess: t.b\n')
    return 'v1 failure with a %d MB traceback of 100-byte lines' % (lines // 10000)


CASES = {
    'false-headers': make_false_headers,
    'attachments': make_attachments,
    'long-ids': make_long_ids,
    'long-messages': make_long_messages,
    'big-dstat': make_big_dstat,
    'gzip-bomb': make_gzip_bomb,
    'v1-traceback': make_v1_traceback,
}


def prepare(name, work, scale):
    """Write the case's logs folder; return (description, subunit path, dstat path)."""
    logs = os.path.join(work, 'inputs', name)
    os.makedirs(logs, exist_ok=True)
    stream = os.path.join(logs, 'testrepository.subunit.gz')
    dstat = None
    if name == 'big-dstat':
        dstat = os.path.join(logs, 'dstat-csv_log.txt')
        what = make_big_dstat(stream, scale, dstat)
    else:
        what = CASES[name](stream, scale)
    return what, stream, dstat


def _limit(mem_mb):
    def apply():
        if mem_mb:
            resource.setrlimit(resource.RLIMIT_AS, (mem_mb * MB, mem_mb * MB))
    return apply


def run(argv, repo, timeout, mem_mb, work):
    """Run ``argv`` under GNU time: (outcome, seconds, peak RSS MB or None)."""
    stats = os.path.join(work, 'time.txt')
    env = dict(os.environ, PYTHONPATH=os.path.abspath(repo))
    start = time.perf_counter()
    proc = subprocess.Popen(['/usr/bin/time', '-o', stats, '-f', '%M'] + argv, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=_limit(mem_mb), cwd=work)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return 'TIMEOUT >%d s' % timeout, time.perf_counter() - start, None
    took = time.perf_counter() - start
    try:
        with open(stats) as found:
            rss = int(found.read().split()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        rss = None
    text = err.decode('utf-8', 'replace')
    if 'MemoryError' in text or 'Cannot allocate memory' in text:
        outcome = 'MEMORY >%d MB' % mem_mb
    elif 'Traceback' in text:
        outcome = 'exit %d, traceback' % proc.returncode
    else:
        outcome = 'exit %d' % proc.returncode
    return outcome, took, rss


def folder_size(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def measure(name, stream, dstat, repo, args, work):
    rows = []
    out = os.path.join(work, 'out')
    export = [sys.executable, '-m', 'stackviz_publish.cli.export_cmd', '-f', stream]
    if dstat:
        export += ['--dstat', dstat]
    outcome, took, rss = run(export + [out], repo, args.timeout, args.mem_limit, work)
    rows.append(('export', outcome, took, rss, folder_size(out)))
    shutil.rmtree(out, ignore_errors=True)
    # publish writes LOGS_DIR/stackviz: a fresh logs folder of hard links each time.
    logs = os.path.join(work, 'logs')
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(logs)
    for path in filter(None, (stream, dstat)):
        target = os.path.join(logs, os.path.basename(path))
        try:
            os.link(path, target)
        except OSError:
            shutil.copy(path, target)
    publish = [sys.executable, '-m', 'stackviz_publish.cli.main', 'publish', logs]
    outcome, took, rss = run(publish, repo, args.timeout, args.mem_limit, work)
    rows.append(('publish', outcome, took, rss, folder_size(os.path.join(logs, 'stackviz'))))
    shutil.rmtree(logs, ignore_errors=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repo', action='append',
                        help='checkout whose CLI to run (repeat to compare; default: '
                        'this one)')
    parser.add_argument('--scale', type=float, default=0.25)
    parser.add_argument('--timeout', type=int, default=120, help='seconds per run')
    parser.add_argument('--mem-limit', type=int, default=6144,
                        help='address space limit per run, MB (0: none)')
    parser.add_argument('--cases', default=','.join(CASES),
                        help='comma-separated, of: ' + ', '.join(CASES))
    parser.add_argument('--workdir', help='default: a temporary folder, removed after')
    args = parser.parse_args(argv)
    unknown = [name for name in args.cases.split(',') if name not in CASES]
    if unknown:
        parser.error('unknown case(s) %s; the cases are: %s'
                     % (', '.join(unknown), ', '.join(CASES)))
    repos = args.repo or [os.path.dirname(HERE)]
    work = args.workdir or tempfile.mkdtemp(prefix='stackviz-hostile-')
    try:
        report(args, repos, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(args, repos, work):
    print('scale %g, timeout %d s, address space limit %s, GNU time peak RSS'
          % (args.scale, args.timeout, '%d MB' % args.mem_limit if args.mem_limit
             else 'none'))
    header = '%-14s %-22s %-8s %-18s %9s %10s %11s' % (
        'case', 'repo', 'command', 'outcome', 'time s', 'peak MB', 'output MB')
    for name in args.cases.split(','):
        what, stream, dstat = prepare(name, work, args.scale)
        size = os.path.getsize(stream) + (os.path.getsize(dstat) if dstat else 0)
        print('\n%s: %s; input %.2f MB on disk' % (name, what, size / 1e6))
        print(header)
        for repo in repos:
            for command, outcome, took, rss, out_size in measure(name, stream, dstat,
                                                                 repo, args, work):
                print('%-14s %-22s %-8s %-18s %9.1f %10s %11.2f' % (
                    name, _short(repo), command, outcome, took,
                    '%.0f' % rss if rss is not None else '-', out_size / 1e6))
                sys.stdout.flush()
        shutil.rmtree(os.path.dirname(stream), ignore_errors=True)


def _short(repo):
    path = os.path.abspath(repo)
    return path if len(path) <= 22 else '...' + path[-19:]


if __name__ == '__main__':
    sys.exit(main())
