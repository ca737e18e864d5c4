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

"""The sample run that ships with the project, made by the project's own generator.

It is generated on demand from fixed seeds, so every install gets the same bytes
without carrying megabytes of test data in the repository:

    python -m stackviz_publish.generate stream --tests 3000 --workers 6 --unfinished 1 \\
        --fail-rate 0.02 --skip-rate 0.05 --log-bytes 1024 --seed 2018 --gzip \\
        logs/testrepository.subunit.gz
    python -m stackviz_publish.generate dstat --seconds <run length + 60> --seed 2018 \\
        --host devstack logs/dstat-csv_log.txt

The layout is devstack-gate's: ``logs/testrepository.subunit.gz`` and
``logs/dstat-csv_log.txt``. It goes to a cache folder by default, never into the
current folder (which is often a checkout).
"""
import datetime
import gzip
import math
import os

from stackviz_publish import generate

SEED = 2018
JOB_FACTS = {'job': 'sample-tempest-full', 'pipeline': 'check'}
STREAM = dict(tests=3000, workers=6, unfinished=1, fail_rate=0.02, skip_rate=0.05,
              log_bytes=1024, seed=SEED)


def default_dir(environ=None):
    """$XDG_CACHE_HOME/stackviz-publish/sample, else ~/.cache/stackviz-publish/sample."""
    environ = os.environ if environ is None else environ
    cache = environ.get('XDG_CACHE_HOME')
    if not cache or not os.path.isabs(cache):   # the XDG spec ignores relative paths
        cache = os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(cache, 'stackviz-publish', 'sample')


def default_dir_text():
    return '$XDG_CACHE_HOME/stackviz-publish/sample or ~/.cache/stackviz-publish/sample'


def make_sample(logs_dir):
    """Write the sample run into ``logs_dir`` (created if needed); return its summary."""
    os.makedirs(logs_dir, exist_ok=True)
    # mtime=0: the same bytes on every machine, every time.
    with open(os.path.join(logs_dir, 'testrepository.subunit.gz'), 'wb') as raw, \
            gzip.GzipFile(fileobj=raw, mode='wb', mtime=0) as out:
        summary = generate.generate_stream(out, **STREAM)
    start = datetime.datetime.fromisoformat(summary['start'])
    end = datetime.datetime.fromisoformat(summary['end'])
    seconds = int(math.ceil((end - start).total_seconds())) + 60
    # dstat starts a little before the tests, as in a devstack job.
    with open(os.path.join(logs_dir, 'dstat-csv_log.txt'), 'w') as out:
        generate.generate_dstat(out, start - datetime.timedelta(seconds=30), seconds,
                                seed=SEED, host='devstack')
    return summary
