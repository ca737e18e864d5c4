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

"""The data format, Python side: what config.json, its datasets and artifacts hold,
the script-twin names, and the run summary handed to the commands.

doc/source/data-format.rst describes the files; this module is the one place that
builds their index entries.
"""
import datetime
import json
import os
from typing import NamedTuple
from typing import Optional

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# JSON string quoting as json.dumps does it (ASCII only: safe in any encoding, and a
# valid JavaScript string literal).
json_string = json.encoder.encode_basestring_ascii

# The classic config.json dataset keys, in the classic exporter's order.
DATASET_KEYS = ('name', 'url', 'status', 'ci_username', 'pipeline', 'change_id',
                'revision', 'change_project', 'change_subject')

# The legacy Zuul v2 (and devstack-gate) environment: job fact -> variable. Zuul v3
# sets none of them.
LEGACY_ENV = {
    'project': 'ZUUL_PROJECT',
    'change': 'ZUUL_CHANGE',
    'patchset': 'ZUUL_PATCHSET',
    'pipeline': 'ZUUL_PIPELINE',
    'job': 'JOB_NAME',
    'build': 'ZUUL_UUID',
    'log_url': 'LOG_URL',
}

# Job fact -> classic dataset key, for the classic site.
CLASSIC_KEYS = {
    'job': 'name',
    'pipeline': 'pipeline',
    'change': 'change_id',
    'patchset': 'revision',
    'project': 'change_project',
    'log_url': 'url',
}

# The facts the classic ``stackviz-export --env`` wrote (it never read LOG_URL).
CLASSIC_ENV_FACTS = ('project', 'change', 'patchset', 'pipeline', 'job')


def classic_env_dataset(environ):
    """The classic dataset keys ``stackviz-export --env`` fills from ``environ``."""
    found = {}
    for fact in CLASSIC_ENV_FACTS:
        value = environ.get(LEGACY_ENV[fact])
        if value:
            found[CLASSIC_KEYS[fact]] = value
    return found


def twin_path(rel_path):
    """x-raw.json.gz -> x-raw.json.js; 3.json -> 3.js inside a shard folder."""
    if rel_path.endswith('.gz'):
        rel_path = rel_path[:-3]
    folder, base = os.path.split(rel_path)
    if base == 'config.json' or (folder and base.endswith('.json') and base[:-5].isdigit()):
        base = base[:-5]
    return os.path.join(folder, base + '.js')


def artifact(path, name, kind, primary=False, gzipped=False, twin=True,
             content_type='application/json', **extra):
    """One config.json artifact entry; ``extra`` keys follow the common ones."""
    entry = {'path': path, 'artifact_name': name, 'artifact_type': kind,
             'content_type': content_type, 'primary': primary}
    entry.update(extra)
    if twin:
        entry['script_path'] = twin_path(path)
    if gzipped:
        entry['content_encoding'] = 'gzip'
    return entry


def run_artifacts(name, raw_path, details_path, stats_path, shard_dir, shard_count,
                  gzipped):
    """The artifact entries of one run (``details_path`` None: no classic details)."""
    entries = [artifact(raw_path, name, 'subunit', True, gzipped)]
    if details_path is not None:
        entries.append(artifact(details_path, name, 'subunit-details', gzipped=gzipped,
                                twin=False))
    entries.append(artifact(stats_path, name, 'subunit-stats', gzipped=gzipped))
    entries.append(artifact(shard_dir + '/', name, 'subunit-details-shards',
                            gzipped=gzipped, twin=False, shard_count=shard_count,
                            suffix='.json' + ('.gz' if gzipped else '')))
    return entries


def dstat_artifact(path, node, first, gzipped):
    """The artifact entry of a dstat log; the first one is the classic site's."""
    return artifact(path, 'dstat-csv.log' if first else 'dstat-%s' % node, 'dstat',
                    gzipped=gzipped, content_type='text/csv', node=node or 'primary')


class RunSummary(NamedTuple):
    """One exported run, as the commands report it."""
    name: str
    tests: int          # unfinished tests are tests, as the site counts them
    failures: int
    skips: int
    inprogress: int
    wall_time: Optional[float]   # None: no timestamps in the run
    warnings: list
    total_bytes: int

    @classmethod
    def from_stats(cls, name, stats, total_bytes):
        """From the stats dict the model builds (the run's stats.json)."""
        counts = stats['counts']
        return cls(name, stats['count'] + counts['inprogress'],
                   counts['fail'] + counts['uxsuccess'], counts['skip'],
                   counts['inprogress'], stats['wall_time'], list(stats['warnings']),
                   total_bytes)
