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

"""A run's service log lines: an index file and lazily loaded shards keyed by test id
(see doc/source/data-format.rst, "Service logs")."""
import json
import os

from stackviz_publish import format as data_format
from stackviz_publish import model
from stackviz_publish.writers.datascript import GZIP
from stackviz_publish.writers.datascript import write_script
from stackviz_publish.writers.run import SHARD_TESTS
from stackviz_publish.writers.run import SHARD_TEXT

FORMAT_VERSION = 1


def _iso(when):
    return model.iso(int(round(when * 1e6))) if when is not None else None


def _rows(records):
    """A test's records grouped by file, in time order within a file."""
    records = sorted(records, key=lambda r: (r[0], r[2] if r[2] is not None else 0, r[1]))
    return [[number, line, _iso(when), level, text]
            for number, line, when, level, text in records]


def write(data_dir, result, encoding=GZIP, notes=()):
    """Write ``result`` (servicelogs.Result) for its run as data scripts in
    ``encoding``; return (artifact, bytes)."""
    collector = result.collector
    shard_dir = collector.prefix + '-servicelogs'
    os.mkdir(os.path.join(data_dir, shard_dir))
    tests = {}
    shard, size, shards = [], 0, []
    for index in sorted(result.tests):
        lines = result.tests[index]
        test_id = collector.tests[index][0]
        body = json.dumps({'records': _rows(lines.records), 'cut': lines.cut})
        shard.append('%s: %s' % (json.dumps(test_id), body))
        size += len(body)
        tests[test_id] = [len(shards), len(lines.records), lines.errors, lines.cut]
        if size >= SHARD_TEXT or len(shard) >= SHARD_TESTS:
            shards.append(shard)
            shard, size = [], 0
    if shard:
        shards.append(shard)
    total = 0
    for number, parts in enumerate(shards):
        total += write_script(data_dir, os.path.join(shard_dir, '%d.js' % number),
                              ['{'] + [',\n'.join(parts)] + ['}'], encoding)
    # In the shards' folder: an export is one folder per run artifact (see
    # output.is_own_export), and the index goes with its shards.
    index_rel = os.path.join(shard_dir, 'index.js')
    total += write_script(data_dir, index_rel, json.dumps(
        _index(result, tests, notes), separators=(',', ':')), encoding)
    artifact = data_format.script_artifact(index_rel, collector.name, 'service-logs',
                                           encoding, shards=shard_dir + '/',
                                           shard_count=len(shards), suffix='.js')
    return artifact, total


def _index(result, tests, notes):
    timeline = None
    if result.timeline is not None:
        start, step, counts = result.timeline
        timeline = {'start': _iso(start), 'step': step,
                    'counts': {str(k): v for k, v in sorted(counts.items())}}
    return {
        'format_version': FORMAT_VERSION,
        'files': [{'path': log.rel, 'href': log.href, 'service': log.service}
                  for log in result.files],
        'tests': tests,
        'cut': result.cut,
        'notes': list(notes),
        'timeline': timeline,
    }
