"""The sample run that ships with the project, made by the project's own generator.

It is generated on demand from fixed seeds, so every install gets the same bytes
without carrying megabytes of test data in the repository:

    python -m stackviz_publish.generate stream --tests 3000 --workers 6 --unfinished 1 \\
        --fail-rate 0.02 --skip-rate 0.05 --log-bytes 1024 --seed 2018 --gzip \\
        logs/testrepository.subunit.gz
    python -m stackviz_publish.generate dstat --seconds <run length + 60> --seed 2018 \\
        --host devstack logs/dstat-csv_log.txt

The layout is devstack-gate's: ``logs/testrepository.subunit.gz`` and
``logs/dstat-csv_log.txt``.
"""
import datetime
import gzip
import math
import os

from stackviz_publish import generate

SEED = 2018
STREAM = dict(tests=3000, workers=6, unfinished=1, fail_rate=0.02, skip_rate=0.05,
              log_bytes=1024, seed=SEED)


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
