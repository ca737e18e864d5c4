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

"""Indexing a devstack-sized job's service logs, against ``zcat`` over the same files.

    python bench/servicelogs_bench.py [--scale 1.0] [--repeat 3] [--keep DIR]

Generates (stackviz_publish.generate_services) a Tempest run of 3,000 tests and 20
gzipped service logs holding about 200 MB of text (both times ``--scale``), then:

- ``zcat FILES > /dev/null``: the floor, decompression alone;
- the index pass (servicelogs.index: read every file once, keep the lines naming the
  tests' request ids and the errors in failed tests' windows) in a child process that
  has already exported the run, so that its peak RSS is the index's own;
- the writing of the index and shards.

Prints the medians, the ratio index/zcat (target: at most 2) and the peak RSS of the
index pass over the RSS it started from (it must follow the ids, not the logs).
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from stackviz_publish import export  # noqa: E402
from stackviz_publish import generate_services  # noqa: E402
from stackviz_publish import peak_memory  # noqa: E402
from stackviz_publish import servicelogs  # noqa: E402
from stackviz_publish.writers import servicelogs as writer  # noqa: E402


def child(logs_dir, repeat):
    """Export the run with a Collector, then time the index pass alone."""
    root = os.path.realpath(logs_dir)
    stream = os.path.join(root, 'logs', 'testrepository.subunit.gz')
    out = tempfile.mkdtemp(prefix='stackviz-svc-bench-')
    collector = servicelogs.Collector('run-0', 'run')
    export.export_one(export.Source('run', path=stream), 'run', out,
                      collector=collector)
    logs = servicelogs.find_logs(root)
    times, cpu_times, write_times = [], [], []
    reset = peak_memory.reset_peak()
    base = peak_memory.rss_bytes() // 1024
    notes = []
    results = None
    for i in range(repeat):
        results = None   # the previous pass's lines are not this one's memory
        began, cpu = time.perf_counter(), time.process_time()
        results = servicelogs.index(servicelogs.Plan(logs), [collector], notes.append)
        times.append(time.perf_counter() - began)
        cpu_times.append(time.process_time() - cpu)
        began = time.perf_counter()
        data = os.path.join(out, 'w%d' % i)
        os.mkdir(data)
        writer.write(data, results[0], True, notes)
        write_times.append(time.perf_counter() - began)
    result = results[0]
    print(json.dumps({
        'index': statistics.median(times), 'index_cpu': statistics.median(cpu_times),
        'write': statistics.median(write_times),
        'base_rss_kb': base, 'peak_rss_kb': peak_memory.peak_bytes() // 1024,
        'peak_reset': reset,
        'ids': len(collector.ids), 'tests': len(collector.tests),
        'tests_with_lines': len(result.tests),
        'records': sum(len(t.records) for t in result.tests.values()),
        'files': [log.path for log in logs], 'notes': notes[:5]}))
    shutil.rmtree(out)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def zcat(files, repeat):
    """Medians of wall and CPU time of ``zcat FILES > /dev/null``."""
    times, cpu_times = [], []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(['zcat'] + files, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - began)
        cpu_times.append(_children_cpu() - cpu)
    return statistics.median(times), statistics.median(cpu_times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scale', type=float, default=1.0,
                        help='tests and log size times this (1.0: 3,000 tests, 200 MB)')
    parser.add_argument('--log-mb', type=float,
                        help='MB of log text, whatever --scale says (the ids stay: memory '
                             'must not follow)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--keep', metavar='DIR',
                        help='generate into DIR and keep it (reused when it exists)')
    parser.add_argument('--child', metavar='LOGS', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.repeat)
    work = args.keep or tempfile.mkdtemp(prefix='stackviz-svc-bench-')
    try:
        if not os.path.exists(os.path.join(work, 'logs', 'testrepository.subunit.gz')):
            began = time.perf_counter()
            made = generate_services.generate_job(
                work, tests=int(3000 * args.scale), workers=8, fail_rate=0.02,
                services=tuple(generate_services.SERVICES), seed=2018, extras=False,
                log_bytes=int(args.log_mb * 1e6 if args.log_mb else 200e6 * args.scale))
            print('generated %d tests, %d service logs, %.0f MB of text in %.0f s'
                  % (made['run']['tests'], len(made['files']), made['log_bytes'] / 1e6,
                     time.perf_counter() - began))
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--child', work,
                              '--repeat', str(args.repeat)], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        figures = json.loads(out)
        files = figures['files']
        packed = sum(os.path.getsize(f) for f in files)
        floor, floor_cpu = zcat(files, args.repeat)
        print('%d files, %.0f MB gzipped; %d tests, %d request ids; %d tests have lines '
              '(%d records)' % (len(files), packed / 1e6, figures['tests'], figures['ids'],
                                figures['tests_with_lines'], figures['records']))
        # CPU time too: on a shared machine, wall times measure the neighbours.
        print('zcat > /dev/null   median %.2f s wall, %.2f s CPU' % (floor, floor_cpu))
        print('index pass         median %.2f s wall, %.2f s CPU   ratio to zcat %.2f wall, '
              '%.2f CPU (target <= 2)' % (figures['index'], figures['index_cpu'],
                                          figures['index'] / floor,
                                          figures['index_cpu'] / floor_cpu))
        print('index + write      median %.2f s   ratio to zcat %.2f'
              % (figures['index'] + figures['write'],
                 (figures['index'] + figures['write']) / floor))
        print('RSS before the pass %.0f MB, peak during it %.0f MB%s'
              % (figures['base_rss_kb'] / 1024, figures['peak_rss_kb'] / 1024,
                 '' if figures['peak_reset'] else ' (peak of the whole process)'))
        for note in figures['notes']:
            print('note: %s' % note)
    finally:
        if not args.keep:
            shutil.rmtree(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
