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

"""The timeline's prefixed ids (doc/source/data-format.rst, "Timeline"): what the
writer cuts and writes reads back as the very ids, hostile ones included, with the
lengths a JavaScript reader counts."""
import json
import random

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

from stackviz_publish import format as data_format
from stackviz_publish.writers import datascript
from stackviz_publish.writers import timeline as timeline_writer
from stackviz_publish.writers.timeline import read_ids
from stackviz_publish.writers.timeline import Timeline

HOSTILE = ['', 'a', '.', '....', 'a.', '[', '[id-1]lead.x', 'a.b[c.d]', 'é€', 'pkg.é.C.t€',
           'x\U0001F600y', '\U0001F600', 'lone \udc80 half', '\ud83d', 'tab\tnew\nline\x00',
           '"quoted\\"', '</script>', 'pkg.mod.C.' + 'x' * 70000, 'p.' * 5000 + 'end']


def _write(tmp_path, ids, encoding='json'):
    """A timeline of ``ids`` as the run writer adds them; return its JSON."""
    writer = Timeline(str(tmp_path), 't.js', encoding)
    for test_id in ids:
        entry = {'id': test_id, 'status': 'success', 'worker': 0, 'tags': [],
                 'timestamps': ['2020-01-01T00:00:00.000000+00:00',
                                '2020-01-01T00:00:01.000000+00:00']}
        writer.add(data_format.json_string(test_id), entry)
    writer.close(None, 't-tests/', [0])
    return json.loads(datascript.read_script(str(tmp_path / 't.js'))[2])


def _js_length(text):
    return len(text.encode('utf-16-le', 'surrogatepass')) // 2


def _shared(count, seed):
    """Ids sharing class prefixes, some twice (a test run again)."""
    rand = random.Random(seed)
    ids = []
    for i in range(count):
        if ids and rand.random() < 0.1:
            ids.append(rand.choice(ids))
        else:
            ids.append('tempest.api.m%d.T%d.test_%d[id-%d,smoke]' % (
                rand.randrange(5), rand.randrange(3), i, i))
    return ids


@pytest.mark.parametrize('encoding', ['json', 'gzip-base64'])
def test_prefixed_ids_read_back_hostile_ones_too(tmp_path, encoding):
    ids = HOSTILE + _shared(3000, 1) + HOSTILE
    timeline = _write(tmp_path, ids, encoding)
    encoded = timeline['ids']
    assert encoded['encoding'] == 'prefixed' and timeline['count'] == len(ids)
    assert read_ids(encoded) == ids
    # The lengths are what a JS string counts, and add up to the rest's.
    assert sum(encoded['length']) == _js_length(encoded['rest'])
    # Shared prefixes are written once: the ids' text shrinks.
    assert len(encoded['prefixes']) < 40
    assert 'tempest.api.m1.T1.' in encoded['prefixes']
    assert encoded['prefixes'][0] == ''


def test_prefix_is_cut_at_the_last_dot_before_a_bracket(tmp_path):
    timeline = _write(tmp_path, ['a.b.C.test[x.y]', 'a.b.C.other', 'nodot[a.b]', 'f (p.q.R)'])
    encoded = timeline['ids']
    assert [encoded['prefixes'][k] for k in encoded['prefix']] == [
        'a.b.C.', 'a.b.C.', '', 'f (p.q.']
    assert encoded['rest'] == 'test[x.y]othernodot[a.b]R)'


def test_prefix_table_is_bounded(tmp_path, monkeypatch):
    """Hostile ids with a prefix each: past the table's bounds ids are written whole."""
    monkeypatch.setattr(timeline_writer, 'MAX_PREFIXES', 4)
    ids = ['p%d.t' % i for i in range(10)] + ['p1.u', 'p9.u']
    encoded = _write(tmp_path, ids)['ids']
    assert encoded['prefixes'] == ['', 'p0.', 'p1.', 'p2.']
    assert read_ids(encoded) == ids
    assert encoded['prefix'][-2:] == [2, 0]
    monkeypatch.setattr(timeline_writer, 'MAX_PREFIXES', 1 << 16)
    monkeypatch.setattr(timeline_writer, 'MAX_PREFIX_CHARS', 7)
    encoded = _write(tmp_path, ['abc.x', 'defg.y', 'abc.z'])['ids']
    assert encoded['prefixes'] == ['', 'abc.'] and read_ids(encoded) == ['abc.x', 'defg.y', 'abc.z']


def test_reference_reader_refuses_damage_and_reads_the_list_form():
    good = {'encoding': 'prefixed', 'rest': 'abx', 'prefixes': ['', 'p.'],
            'prefix': [1, 1, 0], 'length': [1, 1, 1]}
    assert read_ids(good) == ['p.a', 'p.b', 'x']
    assert read_ids(['p.a', 'x']) == ['p.a', 'x']
    for bad in ({**good, 'encoding': 'zip'}, {**good, 'prefix': [1, 2, 0]},
                {**good, 'length': [1, 1, 2]}, {**good, 'length': [1, 1, 0]},
                {**good, 'prefix': [1, 1]}, 'abx'):
        with pytest.raises(ValueError):
            read_ids(bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=30))
def test_any_ids_read_back(tmp_path_factory, ids):
    assert read_ids(_write(tmp_path_factory.mktemp('t'), ids)['ids']) == ids
