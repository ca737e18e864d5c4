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
import zlib
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


FORMAT_VERSION = 2
# The timeline's status column: an index in this list.
STATUSES = ('success', 'fail', 'skip', 'xfail', 'uxsuccess', 'inprogress')


class Layout(NamedTuple):
    """Which files an export writes (see doc/source/data-format.rst).

    ``compress``: data scripts in gzip-base64 (else json/text). ``classic``: also the
    classic raw.json (and details.json with ``classic_details``), gzipped with
    ``classic_gzip``. ``classic_tool``: stackviz-export's layout: stats.json and the
    dstat log as v1 files with script twins instead of data scripts."""
    compress: bool = True
    classic: bool = False
    classic_gzip: bool = False
    classic_details: bool = True
    classic_tool: bool = False

    @classmethod
    def publish(cls, compress=True, classic=False):
        """``stackviz-publish publish`` and ``export``: data scripts, and with
        ``classic`` the classic files for the classic site (compressed alike)."""
        return cls(compress, classic, compress, True, False)

    @classmethod
    def export_tool(cls, gzipped=False, classic_details=True):
        """``stackviz-export``: the classic files as v1 (``.gz`` with -z), plus the
        compressed timeline, test shards and id index the site reads."""
        return cls(True, True, gzipped, classic_details, True)

    @property
    def encoding(self):
        """The encoding of JSON data scripts."""
        return 'gzip-base64' if self.compress else 'json'

    @property
    def text_encoding(self):
        """The encoding of text (CSV) data scripts."""
        return 'gzip-base64' if self.compress else 'text'


def script_artifact(path, name, kind, encoding, primary=False,
                    content_type='application/json', **extra):
    """The config.json entry of a data script (``path`` ends in .js)."""
    entry = {'path': path, 'artifact_name': name, 'artifact_type': kind,
             'content_type': content_type, 'primary': primary}
    entry.update(extra)
    entry['script_path'] = path if path.endswith('.js') else None
    if entry['script_path'] is None:
        del entry['script_path']
    entry['content_encoding'] = encoding
    return entry


def v2_run_artifacts(name, files, layout):
    """The artifact entries of one run in format v2. ``files``: a dict with
    ``timeline``, ``tests`` (folder), ``test_shards``, ``ids`` (folder),
    ``id_buckets``, ``stats``, ``summary`` (the first screen, optional;
    ``summary_inline``: the same, to be carried by its entry as ``inline``), and with a
    classic layout ``raw`` and ``details`` (None when not written); ``encodings``:
    the encoding of a file written with another than the layout's, by its key."""
    enc = layout.encoding
    entries = []
    raw = files.get('raw')
    if raw:
        entries.append(artifact(raw, name, 'subunit', True, layout.classic_gzip, twin=False))
    if files.get('details'):
        entries.append(artifact(files['details'], name, 'subunit-details',
                                gzipped=layout.classic_gzip, twin=False))
    if layout.classic_tool:
        entries.append(artifact(files['stats'], name, 'subunit-stats',
                                gzipped=layout.classic_gzip))
    else:
        entries.append(script_artifact(files['stats'], name, 'subunit-stats',
                                       files.get('encodings', {}).get('stats', enc)))
    if files.get('summary'):
        entries.append(script_artifact(files['summary'], name, 'stackviz-summary',
                                       files.get('encodings', {}).get('summary', enc)))
        if files.get('summary_inline') is not None:
            entries[-1]['inline'] = files['summary_inline']
    entries.append(script_artifact(files['timeline'], name, 'stackviz-timeline', enc,
                                   primary=not raw, count=files['count']))
    entries.append(script_artifact(files['tests'], name, 'stackviz-tests', enc,
                                   shard_count=files['test_shards'], suffix='.js'))
    entries.append(script_artifact(files['ids'], name, 'stackviz-ids', enc,
                                   bucket_count=files['id_buckets'], suffix='.js',
                                   hash=ID_HASH))
    return entries


ID_HASH = 'crc32'


def id_hash(test_id):
    """The id index's hash of a test id: CRC-32 (zlib's, as gzip's) of its UTF-8
    bytes, as the site computes it (a lone surrogate counts as U+FFFD, as
    TextEncoder encodes it)."""
    try:
        data = test_id.encode('utf-8')
    except UnicodeEncodeError:
        # Surrogates, as a JS string holds them: pairs join, lone ones become U+FFFD.
        data = test_id.encode('utf-16-le', 'surrogatepass').decode(
            'utf-16-le', 'replace').encode('utf-8')
    return zlib.crc32(data)


def id_buckets(count):
    """How many buckets the id index of ``count`` tests has."""
    return max(1, -(-count // IDS_PER_BUCKET))


IDS_PER_BUCKET = 4096


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


def dstat_artifact(path, node, first, gzipped, encoding=None):
    """The artifact entry of a dstat log; the first one is the classic site's.
    ``encoding``: the log is a data script so encoded."""
    if encoding is not None:
        return script_artifact(path, 'dstat-csv.log' if first else 'dstat-%s' % node,
                               'dstat', encoding, content_type='text/csv',
                               node=node or 'primary')
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
