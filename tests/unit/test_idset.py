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

"""The compact id set (idset.IdSet): a set of strings by their 64-bit digests."""
import random

from stackviz_publish import idset
from stackviz_publish import model


def test_same_answers_as_a_set_through_growth(monkeypatch):
    monkeypatch.setattr(idset, 'FIRST_BITS', 2)
    monkeypatch.setattr(idset, 'PER_BUCKET', 3)
    rng = random.Random(7)
    ours, truth = idset.IdSet(), set()
    for _ in range(5000):
        text = 'p.T.test_%d' % rng.randrange(3000)
        assert (text in ours) == (text in truth)
        assert ours.add(text) == (text not in truth)
        truth.add(text)
    assert len(ours) == len(truth) == sum(len(b or ()) for b in ours._buckets) // 8
    assert ours._bits >= 2 + 7     # it grew (7 doublings), and kept every digest
    assert all(text in ours for text in truth)


def test_a_match_across_two_digests_is_no_match():
    # Digests 0x1100..00 and 0x22..22 side by side in one bucket: the bytes of
    # 0x2222..2211 (little-endian) appear across them, at an odd offset.
    digests = {'a': 0x1100000000000000, 'b': 0x0022222222222222,
               'c': 0x0022222222222211}
    ids = idset.IdSet(digest=digests.__getitem__)
    assert ids.add('a') and ids.add('b')
    assert 'c' not in ids and ids.add('c') and 'c' in ids and not ids.add('c')


def test_memory_is_about_eight_bytes_an_id():
    ids = idset.IdSet()
    for n in range(200000):
        ids.add('tempest.api.compute.servers.test_x.ServersTestJSON.test_%d[id-%d]'
                % (n, n))
    data = sum(len(b) for b in ids._buckets if b)
    assert data == 8 * 200000 == 8 * len(ids)


class _Sink:
    def __init__(self):
        self.ids = []

    def add(self, entry, details):
        self.ids.append(entry['id'])


def _ids_of(test_ids, digest=None):
    sink = _Sink()
    builder = model.RunBuilder(sink)
    if digest is not None:
        builder.taken = idset.IdSet(digest=digest)
    builder.consume([(t, 'success', None, n, None, None, False, None)
                     for n, t in enumerate(test_ids)])
    return sink.ids


def test_suffix_rules_unchanged():
    """data-format.rst: an id already given out gets " #n", the lowest n >= 2 free
    among every id given out (real ids like "x #2" included)."""
    assert _ids_of(['x', 'x', 'x', 'x #2', 'y', 'x']) == [
        'x', 'x #2', 'x #3', 'x #2 #2', 'y', 'x #4']
    assert _ids_of(['x #2', 'x', 'x', 'x #3', 'x']) == [
        'x #2', 'x', 'x #3', 'x #3 #2', 'x #4']


def test_a_digest_collision_only_adds_a_suffix():
    """What a collision (odds 2**-64 a pair) would do: the later id gets " #2"."""
    digest = {'a': 1, 'b': 1, 'a #2': 2, 'b #2': 3}.__getitem__
    assert _ids_of(['a', 'b'], digest) == ['a', 'b #2']
