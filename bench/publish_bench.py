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

"""What publishing costs on top of exporting, on the shipped sample run.

    python bench/publish_bench.py [--repeat 5] [--gzip]

Times, in one run: the export alone (export_runs into a fresh folder) and the whole
publish (discovery, site copy, export, atomic swap, clean-up of the old site), each
``--repeat`` times alternately; prints the medians and the publish/export ratio.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from stackviz_publish import export  # noqa: E402
from stackviz_publish import limits  # noqa: E402
from stackviz_publish import publish  # noqa: E402
from stackviz_publish import sample  # noqa: E402
from stackviz_publish import sitefiles  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--gzip', action='store_true')
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix='stackviz-bench-')
    try:
        logs = os.path.join(work, 'logs')
        summary = sample.make_sample(logs)
        site = sitefiles.find_site()
        if site is None:
            site = os.path.join(work, 'site')
            os.makedirs(site)
            with open(os.path.join(site, 'index.html'), 'w') as f:
                f.write('<!doctype html>\n')
        stream = os.path.join(logs, 'testrepository.subunit.gz')
        dstat = [('primary', os.path.join(logs, 'dstat-csv_log.txt'))]
        opts = publish.Options(logs, site=site, gzip=args.gzip, environ={})
        exports, publishes = [], []
        for i in range(args.repeat):
            out = os.path.join(work, 'export-%d' % i)
            began = time.perf_counter()
            export.export_runs([export.Source('testrepository.subunit.gz', path=stream)],
                               out, dstat_logs=dstat, gzip=args.gzip,
                               classic_details=False, limits=opts.limits,
                               warn=lambda m: None)
            exports.append(time.perf_counter() - began)
            shutil.rmtree(out)
            began = time.perf_counter()
            result = publish.publish(opts, warn=lambda m: None)
            publishes.append(time.perf_counter() - began)
        e, p = statistics.median(exports), statistics.median(publishes)
        print('sample: %d tests, %d workers; site: %s; gzip: %s; %d runs each'
              % (summary['tests'], summary['workers'], site, args.gzip, args.repeat))
        print('export alone   median %.3f s' % e)
        print('whole publish  median %.3f s  (%s published)'
              % (p, limits.human_size(result.total_bytes)))
        print('publish/export ratio %.2f' % (p / e))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
