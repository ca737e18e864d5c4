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

"""Benchmark the exporter against python-subunit's own parse, in one run (issue 11).

Prints a table and a "targets" section, every ratio measured in this run:

- export time / python-subunit's bare parse (to StreamResult events) of the same v2
  stream, at 20k, 100k and 500k tests (medians; the runs of each kind interleaved, so
  a busy machine slows them alike): target <= 1.0 at 20k and 100k. Both exports are
  timed: ``stackviz-publish export`` (what publish writes) and ``stackviz-export``
  (the classic drop-in);
- export of the same run as a v1 stream (python-subunit's subunit-2to1) / as v2:
  target <= 1.5;
- output size / stream size of ``stackviz-publish publish`` (default flags) and of
  ``stackviz-export`` (default flags) at 100k tests: publish target <= 0.35;
- peak RSS (VmHWM) of an export of 500k tests in a fresh process, with the same
  limits as the timed exports: target <= 100 MB.

Exports run through the command lines (in process, or in a child for the memory), so
the bench works on any output format. Timed exports pass no limits (0 for every
``--max-*``) so they do the same work as the parse; ``--default-limits`` times them
with the defaults. Streams are generated once and cached (default ``.cache/bench``).

    python bench/export_bench.py [--quick] [--sizes 20000,100000,500000] [--runs 5]
        [--v1-tests 20000] [--size-tests 100000] [--mem-tests 500000] [--skip-memory]
"""
import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from stackviz_publish import limits  # noqa: E402
from stackviz_publish import sitefiles  # noqa: E402
from stackviz_publish.cli import export_cmd  # noqa: E402
from stackviz_publish.cli import main as cli_main  # noqa: E402

# A command line run in a fresh process: its peak RSS (VmHWM, not getrusage, which in
# a child of a big process starts from the parent's size) and its time.
CHILD = r'''
import io, os, sys, threading, time
sys.path.insert(0, sys.argv[1])
from stackviz_publish import peak_memory


def pss_kb(pid):
    """Its proportional set size: what it holds alone, plus its share of the pages
    it shares (the interpreter's files, mapped by the export too): the sum over
    processes that RSS overstates."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def children_kb(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            kids = [int(k) for k in f.read().split()]
    except (OSError, ValueError):
        return 0
    return sum(pss_kb(k) for k in kids)


# The exporter's own child processes (reader, packer) run beside it: the memory of
# the whole (the PSS of this process and of its children, summed: RSS would count
# the pages they share, the interpreter's files and a forked child's, once in each),
# sampled every 10 ms (getrusage would count, in a child of a big process, the
# parent's size before exec). Its largest sum, and the children's part of it.
most = [0, 0]
done = threading.Event()


def sample():
    me = os.getpid()
    while not done.wait(0.01):
        kids = children_kb(me)
        total = pss_kb(me) + kids
        if total > most[0]:
            most[:] = [total, kids]


from stackviz_publish.cli import main as cli
watcher = threading.Thread(target=sample, daemon=True)
watcher.start()
start = time.perf_counter()
code = cli.main(sys.argv[2:], stdout=io.StringIO(), stderr=io.StringIO())
took = time.perf_counter() - start
done.set()
watcher.join()
print(peak_memory.peak_bytes(), took, code, most[0] * 1024, most[1] * 1024)
'''
BASELINE = r'''
import sys
sys.path.insert(0, sys.argv[1])
from stackviz_publish import peak_memory
from stackviz_publish.cli import main
print(peak_memory.peak_bytes())
'''
NO_LIMITS = [arg for s in limits.SETTINGS for arg in (limits.flag(s), '0')]
MB = 1e6


def parse_with_subunit(path):
    import testtools
    from subunit import ByteStreamToStreamResult
    with open(path, 'rb') as stream:
        ByteStreamToStreamResult(stream, non_subunit_name='stdout').run(
            testtools.StreamResult())


def to_v1(path, v1_path):
    """The same run as a subunit v1 stream, as python-subunit's subunit-2to1 makes it."""
    import subunit
    import testtools
    with open(path, 'rb') as source, open(v1_path, 'wb') as out:
        result = testtools.StreamToExtendedDecorator(subunit.TestProtocolClient(out))
        result.startTestRun()
        subunit.ByteStreamToStreamResult(source).run(result)
        result.stopTestRun()


def run_cli(main, argv):
    """Run a command line in process; its warnings (stderr lines)."""
    err = io.StringIO()
    code = main(argv, stdout=io.StringIO(), stderr=err)
    if code:
        tail = err.getvalue().strip()[-500:]
        raise SystemExit('bench: %s exited %s: %s' % (' '.join(argv[:2]), code, tail))
    return [line for line in err.getvalue().splitlines() if line.strip()]


def publish_export(stream, out, extra):
    return run_cli(cli_main.main, ['export', '-f', stream] + extra + [out])


def classic_export(stream, out, extra):
    return run_cli(export_cmd.main, ['-f', stream] + extra + [out])


def format_version(out):
    """The format version an export wrote (config.json; 'classic' if it names none)."""
    try:
        with open(os.path.join(out, 'config.json')) as f:
            return json.load(f).get('format_version', 'classic')
    except (OSError, ValueError) as e:
        return 'unknown (%s)' % e


def timed(func, *args):
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def cpu_timed(cpu, func, *args):
    """Time ``func``; add its CPU seconds (this process's main thread, its child
    processes: the exporter's packer) to the lists in ``cpu``."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = time.thread_time()
    took = timed(func, *args)
    cpu['main'].append(time.thread_time() - thread)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu['child'].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return took


def tree_bytes(path):
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(folder, name))
            total += st.st_size
    return total


class Fixtures(object):
    """Generated streams, cached by their parameters (written whole, then renamed)."""

    def __init__(self, folder, workers, log_bytes):
        self.folder = folder
        self.workers = workers
        self.log_bytes = log_bytes
        os.makedirs(folder, exist_ok=True)

    def v2(self, tests):
        path = os.path.join(self.folder, 'v2-%d-tests-%dw-%db.subunit'
                            % (tests, self.workers, self.log_bytes))
        if not os.path.exists(path):
            t = time.perf_counter()
            self._make(path, [sys.executable, '-m', 'stackviz_publish.generate', 'stream',
                              '--tests', str(tests), '--workers', str(self.workers),
                              '--fail-rate', '0.02', '--skip-rate', '0.05',
                              '--log-bytes', str(self.log_bytes), '--seed', '1'])
            print('  generated %s in %.0f s' % (os.path.basename(path), time.perf_counter() - t))
        return path

    def v1(self, tests):
        """The same run as a v1 stream (testrepository era), by subunit-2to1."""
        source = self.v2(tests)
        path = source.replace('v2-', 'v1-', 1)
        if not os.path.exists(path):
            to_v1(source, path + '.part')
            os.rename(path + '.part', path)
        return path

    def _make(self, path, cmd):
        subprocess.run(cmd + [path + '.part'], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
        os.rename(path + '.part', path)


def speed(args, fx, work, extra):
    """Export / bare parse at each size: rows of the table."""
    rows = []
    out = os.path.join(work, 'out')
    for tests in args.sizes:
        stream = fx.v2(tests)
        runs = args.runs if tests < 100000 else args.big_runs
        parse, pub, classic = [], [], []
        publish_export(stream, out, extra)   # warm the page cache and the imports
        parse_with_subunit(stream)
        if not rows:
            print('  output: data format version %s' % format_version(out))
        cpu = {'main': [], 'child': []}
        kinds = [(parse, parse_with_subunit, (stream,)),
                 (pub, lambda *a: cpu_timed(cpu, publish_export, *a), (stream, out, extra)),
                 (classic, classic_export, (stream, out, extra))]
        for i in range(runs):
            # Each kind takes each place in turn: what runs first after another (the
            # garbage of the previous one, the page cache) is shared out.
            for times, func, fargs in kinds[i % 3:] + kinds[:i % 3]:
                if times is pub:
                    times.append(func(*fargs))
                else:
                    times.append(timed(func, *fargs))
        p, e, c = (statistics.median(x) for x in (parse, pub, classic))
        rows.append({'tests': tests, 'mb': os.path.getsize(stream) / MB, 'runs': runs,
                     'parse': p, 'publish': e, 'classic': c,
                     'main_cpu': statistics.median(cpu['main']),
                     'child_cpu': statistics.median(cpu['child'])})
        print('  %7d tests: parse %.2f s, stackviz-publish export %.2f s (%.2fx), '
              'stackviz-export %.2f s (%.2fx)' % (tests, p, e, e / p, c, c / p))
    shutil.rmtree(out, ignore_errors=True)
    return rows


def v1_v2(args, fx, work, extra):
    v2, v1 = fx.v2(args.v1_tests), fx.v1(args.v1_tests)
    out = os.path.join(work, 'out')
    publish_export(v1, out, extra)
    t1, t2 = [], []
    for i in range(args.runs):
        pair = [(t2, v2), (t1, v1)]
        for times, stream in (pair if i % 2 == 0 else pair[::-1]):
            times.append(timed(publish_export, stream, out, extra))
    shutil.rmtree(out, ignore_errors=True)
    return {'tests': args.v1_tests, 'v1': statistics.median(t1), 'v2': statistics.median(t2),
            'v1_mb': os.path.getsize(v1) / MB, 'v2_mb': os.path.getsize(v2) / MB}


def sizes(args, fx, work):
    """Output / stream size of publish and stackviz-export, with their default flags
    (limits included: a cut shows as warnings) and with no limits (all the data)."""
    stream = fx.v2(args.size_tests)
    site = sitefiles.find_site()
    if site is None:   # a bare site is enough to measure the data
        site = os.path.join(work, 'site')
        os.makedirs(site, exist_ok=True)
        with open(os.path.join(site, 'index.html'), 'w') as f:
            f.write('<!doctype html>\n')
    rows = []
    for flags, label in (([], 'default flags'), (NO_LIMITS, 'no limits')):
        logs = os.path.join(work, 'logs')
        os.makedirs(logs, exist_ok=True)
        warned = run_cli(cli_main.main, ['publish', logs, '--subunit', stream, '--site', site,
                                         '--no-service-logs', '--no-env', '--time-limit', '0']
                         + flags)
        rows.append({'command': 'publish', 'flags': label, 'warnings': len(warned),
                     'bytes': tree_bytes(os.path.join(logs, 'stackviz', 'data')),
                     'with_site': tree_bytes(os.path.join(logs, 'stackviz'))})
        shutil.rmtree(logs, ignore_errors=True)
        out = os.path.join(work, 'export-out')
        warned = classic_export(stream, out, flags)
        rows.append({'command': 'stackviz-export', 'flags': label, 'warnings': len(warned),
                     'bytes': tree_bytes(out), 'with_site': None})
        shutil.rmtree(out, ignore_errors=True)
    return {'tests': args.size_tests, 'stream': os.path.getsize(stream), 'rows': rows}


def peak_rss(args, work, extra):
    """Peak RSS of each command in a fresh process, for each log size asked for."""
    base = subprocess.run([sys.executable, '-c', BASELINE, REPO], capture_output=True,
                          text=True, check=True)
    rows = []
    logs = args.mem_log_bytes or str(args.log_bytes)
    for log_bytes in (int(x) for x in logs.split(',')):
        stream = Fixtures(args.cache, args.workers, log_bytes).v2(args.mem_tests)
        for command in ('export', 'stackviz-export'):
            rows.append(child_peak(command, stream, os.path.join(work, 'mem-out'), extra))
            rows[-1].update(log_bytes=log_bytes, mb=os.path.getsize(stream) / MB)
    return {'tests': args.mem_tests, 'base': int(base.stdout) / MB, 'rows': rows}


def child_peak(command, stream, out, extra):
    argv = ['export'] if command == 'export' else []
    child = CHILD if command == 'export' else CHILD.replace(
        'from stackviz_publish.cli import main as cli',
        'from stackviz_publish.cli import export_cmd as cli')
    done = subprocess.run([sys.executable, '-c', child, REPO] + argv +
                          ['-f', stream] + extra + [out],
                          capture_output=True, text=True, check=True)
    shutil.rmtree(out, ignore_errors=True)
    peak, took, code, total, helper = done.stdout.split()
    # The target is on the whole: the largest sum sampled, or this process's own
    # peak RSS if that is more.
    return {'command': command, 'main': int(peak) / MB, 'total': int(total) / MB,
            'helper': int(helper) / MB, 'peak': max(int(peak), int(total)) / MB,
            'took': float(took), 'code': int(code)}


def verdict(ok):
    return 'met' if ok else 'NOT MET'


def report(args, rows, v12, size, mem):
    print('\n%-54s %12s' % ('figure', 'value'))
    print('-' * 68)
    for r in rows:
        print('%-54s %12s' % ('stream, %d tests (%d runs each)' % (r['tests'], r['runs']),
                              '%.1f MB' % r['mb']))
        print('%-54s %10.3f s' % ('  python-subunit bare parse', r['parse']))
        print('%-54s %10.3f s' % ('  stackviz-publish export', r['publish']))
        print('%-54s %10.3f s' % ('    CPU of its main thread', r['main_cpu']))
        print('%-54s %10.3f s' % ('    CPU of its child processes (reader, packer)',
                                  r['child_cpu']))
        print('%-54s %10.3f s' % ('  stackviz-export', r['classic']))
        print('%-54s %12.2f' % ('  ratio publish export / parse', r['publish'] / r['parse']))
        print('%-54s %12.2f' % ('  ratio stackviz-export / parse', r['classic'] / r['parse']))
    if v12:
        print('%-54s %10.3f s' % ('export of v2 stream, %d tests (%.0f MB)'
                                  % (v12['tests'], v12['v2_mb']), v12['v2']))
        print('%-54s %10.3f s' % ('export of same run as v1 (%.0f MB)' % v12['v1_mb'],
                                  v12['v1']))
        print('%-54s %12.2f' % ('  ratio v1 / v2', v12['v1'] / v12['v2']))
    if size:
        s = size['stream']
        print('%-54s %12s' % ('stream, %d tests' % size['tests'], '%.1f MB' % (s / MB)))
        for r in size['rows']:
            cuts = ', %d warnings (cuts)' % r['warnings'] if r['warnings'] else ''
            what = '  %s (%s)%s' % (r['command'], r['flags'], cuts)
            print('%-54s %12s' % (what, '%.1f MB' % (r['bytes'] / MB)))
            print('%-54s %12.3f' % ('    ratio to the stream', r['bytes'] / s))
    if mem:
        print('peak RSS, %d tests, %s limits' % (
            mem['tests'], 'default' if args.default_limits else 'no'))
        print('%-54s %9.1f MB' % ('  interpreter + imports', mem['base']))
        for r in mem['rows']:
            print('%-54s %9.1f MB' % ('  %s, %d B logs (%.0f MB stream, %.1f s)' % (
                r['command'], r['log_bytes'], r['mb'], r['took']), r['peak']))
            print('%-54s %9.1f MB' % ('    its own peak RSS', r['main']))
            print('%-54s %9s' % ('    largest PSS sum, it + its child processes',
                                 '%.1f MB (children %.1f)' % (r['total'], r['helper'])))
    targets(args, rows, v12, size, mem)


def targets(args, rows, v12, size, mem):
    print('\ntargets (issue 11)%s:' % (' -- QUICK MODE: small sizes, not the issue\'s'
                                       if args.quick else ''))

    def line(what, value, ok, at=''):
        print('  %-66s %8s  %s%s' % (what, value, verdict(ok), at))
    for r in rows:
        ratio = r['publish'] / r['parse']
        if r['tests'] in (20000, 100000) or args.quick:
            line('export / bare parse <= 1.0 at %d tests' % r['tests'], '%.2f' % ratio,
                 ratio <= 1.0)
        else:
            print('  %-66s %8.2f  (figure, no target)'
                  % ('export / bare parse at %d tests' % r['tests'], ratio))
    if v12:
        line('v1 export / v2 export <= 1.5 (%d tests)' % v12['tests'],
             '%.2f' % (v12['v1'] / v12['v2']), v12['v1'] / v12['v2'] <= 1.5)
    if size:
        pub, whole = size['rows'][0], size['rows'][2]
        ratio = pub['bytes'] / size['stream']
        line('publish default output / stream <= 0.35 (%d tests)' % size['tests'],
             '%.3f' % ratio, ratio <= 0.35,
             '' if not pub['warnings'] else ' (%d warnings: cut)' % pub['warnings'])
        # A cut output is small because of the budget, not the format: the same
        # publish with no limits (every log kept) must be within the target too.
        ratio = whole['bytes'] / size['stream']
        line('publish output / stream <= 0.35 with no limits, nothing cut', '%.3f' % ratio,
             ratio <= 0.35 and not whole['warnings'])
    if mem:
        peak = max(r['peak'] for r in mem['rows'] if r['command'] == 'export')
        line('peak RSS of export <= 100 MB (%d tests)' % mem['tests'], '%.0f MB' % peak,
             peak <= 100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='small sizes (2k, 5k; v1 2k; sizes 5k; memory 20k), 3 runs: '
                             'a few minutes; the targets are the issue\'s sizes')
    parser.add_argument('--sizes', help='comma-separated test counts for export / parse '
                        '(default 20000,100000,500000)')
    parser.add_argument('--tests', type=int,
                        help='one size for export / parse (older spelling of --sizes N)')
    parser.add_argument('--log-bytes', type=int, default=2048)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--runs', type=int, default=5,
                        help='timed runs below 100k tests (default 5)')
    parser.add_argument('--big-runs', type=int, default=3,
                        help='timed runs at 100k tests and more (default 3)')
    parser.add_argument('--v1-tests', type=int, default=20000)
    parser.add_argument('--size-tests', type=int, default=100000)
    parser.add_argument('--mem-tests', type=int, default=500000)
    parser.add_argument('--mem-log-bytes',
                        help='comma-separated log bytes per test of the memory runs '
                             '(default: --log-bytes)')
    parser.add_argument('--skip-memory', action='store_true')
    parser.add_argument('--skip-v1', action='store_true')
    parser.add_argument('--v1', action='store_true',
                        help='accepted for older scripts: v1 / v2 is always measured')
    parser.add_argument('--skip-sizes', action='store_true')
    parser.add_argument('--default-limits', action='store_true',
                        help='time exports with the default limits (which cut big '
                             'streams\' logs) instead of none')
    parser.add_argument('--cache', default=os.path.join(REPO, '.cache', 'bench'),
                        help='where generated streams are kept (default .cache/bench)')
    parser.add_argument('--workdir', help='where outputs go (default: a temp folder, '
                        'removed at the end)')
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or '2000,5000'
        args.runs, args.big_runs = min(args.runs, 3), min(args.big_runs, 3)
        args.v1_tests = min(args.v1_tests, 2000)
        args.size_tests = min(args.size_tests, 5000)
        args.mem_tests = min(args.mem_tests, 20000)
    if args.tests:
        args.sizes = str(args.tests)
    args.sizes = [int(x) for x in (args.sizes or '20000,100000,500000').split(',')]
    work = args.workdir or tempfile.mkdtemp(prefix='stackviz-bench-')
    try:
        run_bench(args, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def run_bench(args, work):
    fx = Fixtures(args.cache, args.workers, args.log_bytes)
    extra = [] if args.default_limits else NO_LIMITS
    print('streams: %d workers, %d B of log per test, 2%% failures, 5%% skips; '
          'cache %s; %s limits' % (args.workers, args.log_bytes, args.cache,
                                   'default' if args.default_limits else 'no'))
    rows = speed(args, fx, work, extra)
    v12 = None if args.skip_v1 else v1_v2(args, fx, work, extra)
    size = None if args.skip_sizes else sizes(args, fx, work)
    mem = None if args.skip_memory else peak_rss(args, work, extra)
    report(args, rows, v12, size, mem)


if __name__ == '__main__':
    sys.exit(main())
