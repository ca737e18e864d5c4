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

"""Generated logs folders, one per layout gate jobs have (used by the publisher tests)."""
import datetime
import gzip
import io
import os

from stackviz_publish import generate

START = generate.DEFAULT_START


def stream_bytes(tests=60, workers=3, seed=1, **kwargs):
    out = io.BytesIO()
    summary = generate.generate_stream(out, tests=tests, workers=workers, seed=seed,
                                       log_bytes=kwargs.pop('log_bytes', 256), **kwargs)
    return out.getvalue(), summary


def write_stream(path, compress=None, **kwargs):
    data, summary = stream_bytes(**kwargs)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    compress = path.endswith('.gz') if compress is None else compress
    with (gzip.open(path, 'wb') if compress else open(path, 'wb')) as f:
        f.write(data)
    return summary


def write_dstat(path, seconds=120, host='node', seed=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as out:
        generate.generate_dstat(out, START - datetime.timedelta(seconds=5), seconds,
                                seed=seed, host=host)


def write_stestr(repo, **kwargs):
    """A .stestr folder holding one run (stestr's file layout: format, next-stream, 0)."""
    os.makedirs(repo, exist_ok=True)
    with open(os.path.join(repo, 'format'), 'w') as f:
        f.write('1\n')
    with open(os.path.join(repo, 'next-stream'), 'w') as f:
        f.write('1\n')
    return write_stream(os.path.join(repo, '0'), compress=False, **kwargs)


def write_site(path, marker='stand-in site'):
    """A tiny stand-in for the built site (the real one is built by npm elsewhere)."""
    os.makedirs(os.path.join(path, 'js'), exist_ok=True)
    with open(os.path.join(path, 'index.html'), 'w') as f:
        f.write('<!doctype html><title>%s</title>\n' % marker)
    with open(os.path.join(path, 'js', 'app.js'), 'w') as f:
        f.write('// %s\n' % marker)
    os.makedirs(os.path.join(path, 'data'), exist_ok=True)
    with open(os.path.join(path, 'data', 'dev-sample.json'), 'w') as f:
        f.write('{}\n')
    return path


def devstack_gate(root, **kwargs):
    """devstack-gate: logs/testrepository.subunit.gz and logs/dstat-csv_log.txt."""
    logs = os.path.join(root, 'logs')
    summary = write_stream(os.path.join(logs, 'testrepository.subunit.gz'), **kwargs)
    write_dstat(os.path.join(logs, 'dstat-csv_log.txt'))
    return logs, summary


def zuul_v3(root, **kwargs):
    """Zuul v3: testrepository.subunit in the job's work folder, logs elsewhere."""
    work = os.path.join(root, 'src', 'opendev.org', 'openstack', 'tempest')
    summary = write_stream(os.path.join(work, 'testrepository.subunit'), **kwargs)
    write_stestr(os.path.join(work, '.stestr'), **kwargs)
    logs = os.path.join(root, 'zuul-output', 'logs')
    os.makedirs(logs)
    return logs, work, summary
