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

"""Format v2: data scripts, the timeline's columns against the model's tests, the id
index as the site uses it, and the output budget of a big run."""
import base64
import datetime
import gzip
import json
import os
import random

import pytest

from stackviz_publish import export
from stackviz_publish import format as data_format
from stackviz_publish import limits
from stackviz_publish import model
from stackviz_publish import readers
from stackviz_publish.writers import datascript
from stackviz_publish.writers.background import Background
from stackviz_publish.writers.run import RunWriter
from stackviz_publish.writers.timeline import read_ids
from tests.unit.conftest import all_details
from tests.unit.conftest import read_json
from tests.unit.conftest import run_files
from tests.unit.conftest import shard_tests


def _site_read(path):
    """Read a data script as the site does over HTTP, without eval: the statement
    starts ``stackvizData(`` and ends ``);\\n``; a gzip-base64 payload is sliced
    between its quotes, others are JSON string literals."""
    with open(path, 'rb') as handle:
        source = handle.read().decode('ascii')   # ASCII only
    assert source.startswith('stackvizData(') and source.endswith(');\n')
    body = source[len('stackvizData('):-len(');\n')]
    first = body.index('", "')
    rel_path = json.loads(body[:first + 1])
    second = body.index('", "', first + 3)
    encoding = json.loads(body[first + 3:second + 1])
    literal = body[second + 3:]
    if encoding == 'gzip-base64':
        payload = literal[1:-1]
        assert '\\' not in payload and '"' not in payload
        return rel_path, encoding, gzip.decompress(base64.b64decode(
            payload, validate=True)).decode('utf-8')
    return rel_path, encoding, json.loads(literal)


@pytest.mark.parametrize('encoding', ['gzip-base64', 'json', 'text'])
def test_data_script_round_trip(tmp_path, encoding):
    rng = random.Random(7)
    pieces = ['{"a": "caf\\u00e9 \\"q\\" </script>\\n",', '\u2028 \u00e9\u20ac\U0001F600 ',
              '\n\\', 'x' * (3 << 20)]
    # Random bytes do not compress: gzip output of every length mod 3 reaches base64.
    pieces += [''.join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 5000)))
               for _ in range(60)]
    background = Background()
    try:
        out = datascript.DataScript(str(tmp_path), 'd.js', encoding, background)
        for piece in pieces:
            out.write(piece)
        size = out.close()
    finally:
        background.close()
    text = ''.join(pieces)
    assert size == os.path.getsize(tmp_path / 'd.js')
    assert _site_read(str(tmp_path / 'd.js')) == ('d.js', encoding, text)
    assert datascript.read_script(str(tmp_path / 'd.js')) == ('d.js', encoding, text)
    # write_script makes the same file at once.
    datascript.write_script(str(tmp_path), 'e.js', pieces, encoding)
    assert _site_read(str(tmp_path / 'e.js'))[2] == text
    if encoding != 'gzip-base64':
        assert (tmp_path / 'd.js').read_bytes() == (tmp_path / 'e.js').read_bytes().replace(
            b'e.js', b'd.js')


def test_data_script_costs_bound_the_files(tmp_path):
    rng = random.Random(3)
    for n, text in enumerate(['', 'a', '"\\\n' * 1000, json.dumps(['\u00e9\n"'] * 500),
                              ''.join(chr(rng.randrange(0x20, 0x7f)) for _ in range(70000))]):
        for compress in (True, False):
            rel = 'c%d%s.js' % (n, compress)
            size = datascript.write_script(str(tmp_path), rel, text,
                                           'gzip-base64' if compress else 'json')
            assert size <= datascript.cost(text, compress) + datascript.FILE_COST
            assert size <= datascript.text_cost(text, compress) + datascript.FILE_COST


def test_crc32_test_vectors():
    # The site's id index helper must give the same numbers.
    assert data_format.id_hash('') == 0
    assert data_format.id_hash('a') == 0xe8b7be43 == 3904355907
    assert data_format.id_hash('123456789') == 0xcbf43926
    assert data_format.id_hash('\u00e9\u20ac') == 0x2447225d
    assert data_format.id_hash('\ud800x') == data_format.id_hash('\ufffdx')   # lone surrogate
    assert data_format.id_buckets(0) == data_format.id_buckets(4096) == 1
    assert data_format.id_buckets(4097) == 2


def _events(path):
    opened = readers.open_input(path, None, None)
    try:
        yield from readers.read_events(opened, readers.Damage())
    finally:
        opened.close()


class _Recorder:
    def __init__(self):
        self.tests = []

    def add(self, entry, details):
        self.tests.append((dict(entry), dict(details)))


def _micros(stamp):
    moment = datetime.datetime.fromisoformat(stamp)
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 10 ** 6 + delta.microseconds


def test_timeline_and_shards_hold_the_models_tests(make_stream, tmp_path):
    path, _ = make_stream(tests=700, workers=4, unfinished=3, hostile=True, seed=11,
                          fail_rate=0.1, skip_rate=0.1, same_cause=4)
    recorder = _Recorder()
    builder = model.RunBuilder(recorder)
    builder.consume(_events(path))
    stats = builder.finish()
    (summary,) = export.export_runs([export.Source('run', path=path)], str(tmp_path / 'o'),
                                    warn=lambda m: None)
    assert summary.tests == len(recorder.tests)
    files = run_files(tmp_path / 'o', 'run')
    timeline = read_json(tmp_path / 'o', files['stackviz-timeline']['path'])
    assert timeline['format_version'] == 2 and timeline['count'] == len(recorder.tests)
    origin = _micros(timeline['origin'])
    assert timeline['origin'] == stats['start']
    tag_sets = timeline['tag_sets']
    assert len(tag_sets) == len({tuple(t) for t in tag_sets})
    shards = shard_tests(tmp_path / 'o', 'run')
    starts = timeline['shards']['starts']
    ids = read_ids(timeline['ids'])
    assert timeline['ids']['encoding'] == 'prefixed'
    assert timeline['shards']['path'] == files['stackviz-tests']['path']
    for i, ((entry, details), (shard, test_id, stored)) in enumerate(
            zip(recorder.tests, shards)):
        assert ids[i] == entry['id'] == test_id
        assert data_format.STATUSES[timeline['status'][i]] == entry['status']
        worker = timeline['worker'][i]
        assert (None if worker == -1 else worker) == entry['worker']
        assert tag_sets[timeline['tags'][i]] == entry['tags']
        start, end = entry['timestamps']
        assert timeline['start'][i] == _micros(start) - origin
        assert timeline['end'][i] == _micros(end) - origin
        assert (timeline['end'][i] - timeline['start'][i]) / 1e6 == pytest.approx(
            entry['duration'])
        assert (i in timeline['unfinished']) == bool(entry.get('unfinished'))
        assert (i in timeline['worker_guessed']) == bool(entry.get('worker_guessed'))
        assert model.clean_name(test_id) == entry['name']
        assert max(k for k, at in enumerate(starts) if at <= i) == shard
        assert stored == dict(entry, details=details)
    assert len(shards) == len(recorder.tests)
    assert timeline['unfinished'] and timeline['worker_guessed']
    # The failure messages are the model's.
    stored_stats = read_json(tmp_path / 'o', files['subunit-stats']['path'])
    assert stored_stats['failures'] == stats['failures']
    assert stored_stats['skips'] == stats['skips']


def _find(data_dir, files, test_id):
    """The site's deep link lookup: the test's entry, through the id index only."""
    ids = files['stackviz-ids']
    assert ids['hash'] == 'crc32'
    value = data_format.id_hash(test_id)
    bucket = read_json(data_dir, '%s%d%s' % (ids['path'], value % ids['bucket_count'],
                                             ids['suffix']))
    tests = files['stackviz-tests']
    for h, shard in zip(bucket['hash'], bucket['shard']):
        if h == value:
            found = read_json(data_dir, '%s%d%s' % (tests['path'], shard, tests['suffix']))
            if test_id in found:
                return shard, found[test_id]
    return None


def test_id_index_finds_every_test(make_stream, tmp_path):
    path, summary = make_stream(tests=4500, workers=2, log_bytes=10, seed=5)
    export.export_runs([export.Source('run', path=path)], str(tmp_path / 'o'), gzip=False,
                       warn=lambda m: None)
    files = run_files(tmp_path / 'o', 'run')
    assert files['stackviz-ids']['bucket_count'] == 2
    buckets = [read_json(tmp_path / 'o', 'run-0-ids/%d.js' % b) for b in range(2)]
    for b, bucket in enumerate(buckets):
        pairs = list(zip(bucket['hash'], bucket['shard']))
        assert pairs == sorted(pairs) and all(h % 2 == b for h in bucket['hash'])
    assert sum(len(b['hash']) for b in buckets) == 4500
    shards = {test_id: shard for shard, test_id, _ in shard_tests(tmp_path / 'o', 'run')}
    for test_id in random.Random(1).sample(sorted(shards), 100):
        shard, entry = _find(tmp_path / 'o', files, test_id)
        assert shard == shards[test_id] and entry['id'] == test_id
    assert _find(tmp_path / 'o', files, 'no.such.test') is None


def test_stackviz_export_classic_files_stay_classic(make_stream, tmp_path):
    from stackviz_publish.cli import export_cmd
    import io
    path, _ = make_stream(tests=120, unfinished=1, seed=9)
    err = io.StringIO()
    assert export_cmd.main(['-f', path, str(tmp_path / 'o')], io.StringIO(), err) == 0
    files = run_files(tmp_path / 'o', 'tempest.subunit')
    raw = read_json(tmp_path / 'o', files['subunit']['path'])
    classic = read_json(tmp_path / 'o', files['subunit-details']['path'])
    details = all_details(tmp_path / 'o', 'tempest.subunit')
    # raw.json: the v1 entries, "shard" naming the test shard of every test.
    shards = {test_id: shard for shard, test_id, _ in
              shard_tests(tmp_path / 'o', 'tempest.subunit')}
    assert [t['shard'] for t in raw] == [shards[t['id']] for t in raw]
    assert all(t['details'] == {} for t in raw)
    assert classic == {t['name']: details[t['id']] for t in raw if t['id'] in details}
    stats = read_json(tmp_path / 'o', files['subunit-stats']['path'])
    assert stats['format_version'] == 1
    assert read_json(tmp_path / 'o', 'config.json')['format_version'] == 2


def test_output_budget_keeps_every_test_of_a_big_run(tmp_path):
    """A 100k-test run with the default limits must keep every test within the default
    --max-output-bytes (128 MB); here a fifth of it, with limits scaled alike."""
    scale = 10
    path = tmp_path / 'big.subunit'
    with open(path, 'wb') as out:
        from stackviz_publish import generate
        generate.generate_stream(out, tests=100000 // scale, workers=8, log_bytes=3000,
                                 fail_rate=0.02, skip_rate=0.05, seed=3)
    default = limits.Limits()
    caps = limits.Limits(max_output_bytes=default.max_output_bytes // scale,
                         max_run_details_bytes=default.max_run_details_bytes // scale)
    warnings = []
    (summary,) = export.export_runs([export.Source('big', path=str(path))],
                                    str(tmp_path / 'o'), limits=caps,
                                    warn=warnings.append)
    assert not [w for w in warnings if 'output budget' in w], warnings
    assert summary.tests == 100000 // scale
    size = sum(os.path.getsize(os.path.join(d, f))
               for d, _, names in os.walk(str(tmp_path / 'o')) for f in names)
    assert size <= caps.max_output_bytes


@pytest.mark.parametrize('gzip_data', [True, False])
def test_summary_first_screen_is_the_stats_cut_short(make_stream, tmp_path, gzip_data):
    from stackviz_publish.writers.run import FIRST_SCREEN_TESTS
    path, _ = make_stream(tests=900, workers=4, unfinished=2, seed=21, fail_rate=0.2,
                          skip_rate=0.1, same_cause=3)
    export.export_runs([export.Source('run', path=path)], str(tmp_path / 'o'),
                       gzip=gzip_data, warn=lambda m: None)
    files = run_files(tmp_path / 'o', 'run')
    entry = files['stackviz-summary']
    assert entry['path'] == entry['script_path'] == 'run-0-summary.js'
    # Small: plain json whatever the other files' encoding (datascript.PLAIN_MAX).
    assert entry['content_encoding'] == 'json'
    rel, _, text = _site_read(str(tmp_path / 'o' / entry['path']))
    assert rel == entry['path']
    first = json.loads(text)
    stats = read_json(tmp_path / 'o', files['subunit-stats']['path'])
    assert len(text) * 5 < len(json.dumps(stats))
    assert first['format_version'] == 2
    for key in ('count', 'start', 'end', 'counts', 'workers', 'warnings', 'inprogress',
                'wall_time', 'total_duration'):
        assert first[key] == stats[key]
    tri, full = first['triage'], stats['triage']
    assert tri['failure_groups_not_listed'] == full['failure_groups_not_listed']
    listed = set()
    for key in ('failure_groups', 'skip_groups'):
        assert len(tri[key]) == len(full[key]) > 0
        for cut, group in zip(tri[key], full[key]):
            assert cut['tests'] == group['tests'][:FIRST_SCREEN_TESTS[key]]
            assert dict(cut, tests=group['tests']) == group
            listed.update(cut['tests'])
    assert any(len(g['tests']) > FIRST_SCREEN_TESTS['failure_groups']
               for g in full['failure_groups'])
    assert not first['skips'] and stats['skips']
    names = {t['id']: t['name'] for t in stats['failures'] + stats['skips']}
    named = first['failures'] + first['skips']
    assert {t['id'] for t in named} == listed
    assert all(names[t['id']] == t['name'] for t in named)


def test_encoding_for_small_texts():
    limit = datascript.PLAIN_MAX
    assert datascript.encoding_for('x' * limit, 'gzip-base64') == 'json'
    assert datascript.encoding_for('x' * (limit + 1), 'gzip-base64') == 'gzip-base64'
    assert datascript.encoding_for('x' * (limit + 1), 'json') == 'json'


@pytest.mark.parametrize('plain_max', [None, 0])
def test_small_stats_and_first_screen_are_plain_json(make_stream, tmp_path, monkeypatch,
                                                     plain_max):
    """The stats and the summary's first screen are plain json when their text is at
    most PLAIN_MAX long, gzip-base64 (the default) otherwise; config.json says which,
    and the site reads both."""
    if plain_max is not None:
        monkeypatch.setattr(datascript, 'PLAIN_MAX', plain_max)
    path, _ = make_stream(tests=60, workers=2, unfinished=0, seed=5, fail_rate=0.2)
    export.export_runs([export.Source('run', path=path)], str(tmp_path / 'o'),
                       warn=lambda m: None)
    files = run_files(tmp_path / 'o', 'run')
    for kind in ('subunit-stats', 'stackviz-summary'):
        entry = files[kind]
        rel, encoding, text = _site_read(str(tmp_path / 'o' / entry['path']))
        assert rel == entry['path']
        expected = 'gzip-base64' if plain_max == 0 else 'json'
        assert encoding == entry['content_encoding'] == expected, kind
        assert json.loads(text)['count'] == 60
    # Bigger files keep the layout's encoding.
    assert files['stackviz-timeline']['content_encoding'] == 'gzip-base64'


@pytest.mark.parametrize('plain_max', [None, 100])
def test_config_carries_the_first_runs_first_screen(make_stream, tmp_path, monkeypatch,
                                                    plain_max):
    """config.json carries the first run's first screen (its entry's ``inline``, equal
    to its summary file), so that the summary needs no second request; not the other
    runs', and not one longer than PLAIN_MAX."""
    if plain_max is not None:
        monkeypatch.setattr(datascript, 'PLAIN_MAX', plain_max)
    sources = []
    for name, seed in (('a', 5), ('b', 6)):
        path, _ = make_stream(tests=60, workers=2, unfinished=0, seed=seed, fail_rate=0.2)
        sources.append(export.Source(name, path=path))
    export.export_runs(sources, str(tmp_path / 'o'), warn=lambda m: None)
    first, second = (run_files(tmp_path / 'o', n)['stackviz-summary'] for n in 'ab')
    assert 'inline' not in second
    if plain_max is not None:
        assert 'inline' not in first
        return
    _rel, _encoding, text = _site_read(str(tmp_path / 'o' / first['path']))
    assert first['inline'] == json.loads(text) and first['inline']['count'] == 60
    with open(str(tmp_path / 'o' / 'config.json')) as f:
        assert len(f.read()) < 2 * datascript.PLAIN_MAX


class _Unstamped:
    """A run writer seen through a sink that does not take the model's times: the
    timeline then reads them back from the ISO 8601 text."""

    def __init__(self, writer):
        self.writer = writer
        self.full = False

    def add(self, entry, details):
        self.writer.add(entry, details)


def test_timeline_from_the_models_times_equals_the_one_read_from_iso(make_stream, tmp_path):
    path, _ = make_stream(tests=600, workers=3, unfinished=2, hostile=True, seed=5,
                          fail_rate=0.1, skip_rate=0.1)
    written = []
    for name, wrap in (('stamped', lambda w: w), ('iso', _Unstamped)):
        out = tmp_path / name
        out.mkdir()
        writer = RunWriter(str(out), 'run')
        assert writer.stamped
        builder = model.RunBuilder(wrap(writer))
        builder.consume(_events(path))
        writer.close(builder.finish())
        written.append({rel: datascript.read_script(str(out / rel))[2]
                        for rel in ('run-0-timeline.js', 'run-0-tests/0.js')})
    stamped, from_iso = written
    assert stamped == from_iso
    timeline = json.loads(stamped['run-0-timeline.js'])
    assert timeline['count'] == len(read_ids(timeline['ids'])) > 500 and timeline['unfinished']
