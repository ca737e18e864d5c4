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

"""Benchmark the exporter against python-subunit's own parse, in one run.

Prints medians over --runs repetitions (the runs of each kind are interleaved, so a
busy machine slows them alike) and the ratios the exporter is held to:

- export time / python-subunit parse time (to StreamResult events), 20k tests: <= 2
- export --gzip time / export time: <= 2
- with --v1: export of the same run as a subunit v1 stream (python-subunit's
  subunit-2to1 conversion) / export of the v2 stream: <= 1.5
- peak RSS of an export of a 100k-test stream (in a fresh process, VmHWM), with
  small and with large logs: <= 150 MB and about the same for both (issue 11: <= 100
  MB at 500k tests, ``--mem-tests 500000 --mem-log-bytes 2048``). The memory runs
  use the same limits as the timed ones (none, unless --default-limits: then the
  output budget leaves most tests of a big stream out).

    python bench/export_bench.py [--tests 20000] [--runs 5] [--v1] [--mem-tests 100000]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from stackviz_publish import export  # noqa: E402
from stackviz_publish import generate  # noqa: E402
from stackviz_publish import limits  # noqa: E402

# Peak RSS is read from /proc/self/status (VmHWM): getrusage's ru_maxrss in a child
# of a big process starts from the parent's size (Linux keeps it across exec).
CHILD = r'''
import sys, time
sys.path.insert(0, sys.argv[3])
from stackviz_publish import export, limits
start = time.perf_counter()
caps = limits.Limits() if sys.argv[4] == 'default' else limits.NO_LIMITS
summary = export.export_runs([export.Source('bench.subunit', path=sys.argv[1])],
                             sys.argv[2], warn=lambda m: None, limits=caps)[0]
took = time.perf_counter() - start
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]
print(hwm, took, summary.tests)
'''
BASELINE = r'''
import sys
sys.path.insert(0, sys.argv[1])
import stackviz_publish.export
print([l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1])
'''


def parse_with_subunit(path):
    import testtools
    from subunit import ByteStreamToStreamResult
    with open(path, 'rb') as stream:
        ByteStreamToStreamResult(stream, non_subunit_name='stdout').run(
            testtools.StreamResult())


def export_once(path, out, gzipped, caps=limits.NO_LIMITS):
    # No limits by default: the stream's 40 MB of logs pass the per-run cap, and the
    # timing compares the same work as python-subunit's parse (--default-limits: cut).
    export.export_runs([export.Source('bench.subunit', path=path)], out, gzip=gzipped,
                       warn=lambda m: None, limits=caps)


def timed(func, *args):
    """(wall seconds, CPU seconds of the process: every thread) of one call."""
    start, cpu = time.perf_counter(), time.process_time()
    func(*args)
    return time.perf_counter() - start, time.process_time() - cpu


def medians(runs):
    """Median wall and CPU seconds of (wall, cpu) pairs."""
    return tuple(statistics.median(x) for x in zip(*runs))


def make_stream(path, tests, log_bytes, workers=4, reuse=False):
    if reuse and os.path.exists(path):
        return os.path.getsize(path)
    with open(path, 'wb') as out:
        generate.generate_stream(out, tests=tests, workers=workers, fail_rate=0.02,
                                 skip_rate=0.05, log_bytes=log_bytes, seed=1)
    return os.path.getsize(path)


def to_v1(path, v1_path):
    """The same run as a subunit v1 stream, as subunit-2to1 converts it."""
    import subunit
    import testtools
    with open(path, 'rb') as source, open(v1_path, 'wb') as out:
        result = testtools.StreamToExtendedDecorator(subunit.TestProtocolClient(out))
        result.startTestRun()
        subunit.ByteStreamToStreamResult(source).run(result)
        result.stopTestRun()
    return os.path.getsize(v1_path)


def peak_rss(stream, out, default_limits=False):
    """Peak RSS (MB) and time of an export in a fresh Python process."""
    done = subprocess.run([sys.executable, '-c', CHILD, stream, out,
                           os.path.dirname(HERE), 'default' if default_limits else 'none'],
                          capture_output=True, text=True, check=True)
    rss_kb, took, tests = done.stdout.split()
    return int(rss_kb) / 1024.0, float(took), int(tests)


def baseline_rss():
    done = subprocess.run([sys.executable, '-c', BASELINE, os.path.dirname(HERE)],
                          capture_output=True, text=True, check=True)
    return int(done.stdout) / 1024.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tests', type=int, default=20000)
    parser.add_argument('--log-bytes', type=int, default=2048)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--mem-tests', type=int, default=100000)
    parser.add_argument('--mem-log-bytes', default='2048,20480',
                        help='comma-separated log sizes for the memory runs')
    parser.add_argument('--skip-memory', action='store_true')
    parser.add_argument('--v1', action='store_true',
                        help='also time the export of the same run as a v1 stream')
    parser.add_argument('--default-limits', action='store_true',
                        help='time exports with the default limits (which cut this '
                             'stream\'s logs) instead of none')
    parser.add_argument('--workdir', help='where to put the streams (default: a temp '
                        'folder, removed at the end); streams found there are reused')
    args = parser.parse_args(argv)
    work = args.workdir or tempfile.mkdtemp(prefix='stackviz-bench-')
    try:
        run_bench(args, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def run_bench(args, work):
    stream = os.path.join(work, 'tempest-%d-%d.subunit' % (args.tests, args.log_bytes))
    keep = bool(args.workdir)    # streams in a given --workdir are kept and reused
    size = make_stream(stream, args.tests, args.log_bytes, reuse=keep)
    print('stream: %d tests, 4 workers, %d B logs/test: %.1f MB'
          % (args.tests, args.log_bytes, size / 1e6))
    out = os.path.join(work, 'out')
    caps = limits.Limits() if args.default_limits else limits.NO_LIMITS
    v1_stream = None
    if args.v1:
        v1_stream = stream[:-len('.subunit')] + '.v1.subunit'
        if not (keep and os.path.exists(v1_stream)):
            to_v1(stream, v1_stream)
        print('same run as subunit v1: %.1f MB' % (os.path.getsize(v1_stream) / 1e6))
    parse, plain, zipped, v1 = [], [], [], []
    export_once(stream, out, False, caps)   # warm the page cache and imports
    for _ in range(args.runs):
        parse.append(timed(parse_with_subunit, stream))
        plain.append(timed(export_once, stream, out, False, caps))
        zipped.append(timed(export_once, stream, out, True, caps))
        if v1_stream:
            v1.append(timed(export_once, v1_stream, out, False, caps))
    (m_parse, c_parse), (m_plain, c_plain), (m_zip, c_zip) = (
        medians(x) for x in (parse, plain, zipped))
    # CPU time (all threads) is the steadier figure on a shared machine: wall time
    # also counts the waits for a core.
    print('median of %d runs (%s limits), wall and CPU seconds:'
          % (args.runs, 'default' if args.default_limits else 'no'))
    print('  python-subunit parse only : %.3f s  CPU %.3f s' % (m_parse, c_parse))
    print('  export                    : %.3f s  CPU %.3f s' % (m_plain, c_plain))
    print('  export --gzip             : %.3f s  CPU %.3f s' % (m_zip, c_zip))
    print('ratio export / subunit parse: %.2f  CPU %.2f (target <= 2)'
          % (m_plain / m_parse, c_plain / c_parse))
    print('ratio gzip / export         : %.2f  CPU %.2f (target <= 2)'
          % (m_zip / m_plain, c_zip / c_plain))
    if v1_stream:
        m_v1, c_v1 = medians(v1)
        print('  export of the v1 stream   : %.3f s  CPU %.3f s' % (m_v1, c_v1))
        print('ratio v1 export / v2 export : %.2f  CPU %.2f (target <= 1.5)'
              % (m_v1 / m_plain, c_v1 / c_plain))
        if not keep:
            os.remove(v1_stream)
    if not keep:
        os.remove(stream)
    if args.skip_memory:
        return
    print('peak RSS, export of %d tests in a fresh process (interpreter + imports: '
          '%.1f MB):' % (args.mem_tests, baseline_rss()))
    peaks = []
    for log_bytes in (int(x) for x in args.mem_log_bytes.split(',')):
        big = os.path.join(work, 'tempest-%d-%d.subunit' % (args.mem_tests, log_bytes))
        size = make_stream(big, args.mem_tests, log_bytes, reuse=keep)
        rss, took, tests = peak_rss(big, out, args.default_limits)
        peaks.append(rss)
        print('  logs %6d B/test, stream %7.1f MB: peak %.1f MB (target <= 150), '
              '%d tests in %.1f s' % (log_bytes, size / 1e6, rss, tests, took))
        if not keep:
            os.remove(big)
    if len(peaks) > 1:
        print('ratio peak RSS largest / smallest logs: %.2f (flat: does not grow with '
              'attachment size)' % (max(peaks) / min(peaks)))


if __name__ == '__main__':
    sys.exit(main())
