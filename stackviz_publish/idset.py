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

"""A compact set of strings (the ids a run gave out): their 64-bit digests.

A Python set of the ids themselves costs 150 to 250 bytes an id (the string, and the
set's slot); at 500,000 tests that alone was about 100 MB. Here each id is kept as
the 64-bit digest Python's ``hash()`` gives a string (SipHash, keyed at random per
process, so a stream cannot be made to collide on purpose), packed 8 bytes each into
bytearray buckets chosen by its top bits; a bucket holds a few dozen at most, so a
look-up is one short ``find``. With the buckets' own overhead: 4.2 MB for 100,000
ids, 8.6 MB for 500,000 (17 bytes an id), tending to 8 bytes an id past that.

Two different strings share a digest with probability 2**-64 (``hash()`` never
returns -1, which makes the odds of the pair (-1, -2) twice that: nothing here). A
digest match is then taken for the id itself: the only effect is that an id seen for
the first time gets a " #n" suffix. Over a run of n ids (suffixed ones included), the
chance that this happens at all is at most n*n / 2**65: 7e-9 for 500,000 tests,
3e-6 for ten million.
"""

MASK = (1 << 64) - 1
FIRST_BITS = 16        # 65,536 buckets, made as they are first used
PER_BUCKET = 32        # past this many digests a bucket on average, the buckets double


class IdSet:
    """``digest``: str -> int (tests give their own, to make collisions)."""

    def __init__(self, digest=hash):
        self._digest = digest
        self._bits = FIRST_BITS
        self._shift = 64 - FIRST_BITS
        self._limit = PER_BUCKET << FIRST_BITS
        self._buckets = [None] * (1 << FIRST_BITS)
        self._count = 0

    def __len__(self):
        return self._count

    def add(self, text):
        """Add ``text``; False when it (its digest) was there already."""
        digest = self._digest(text) & MASK
        key = digest.to_bytes(8, 'little')
        index = digest >> self._shift
        bucket = self._buckets[index]
        if bucket is None:
            self._buckets[index] = bytearray(key)
        else:
            at = bucket.find(key)
            while at >= 0:
                if not at & 7:
                    return False
                at = bucket.find(key, at + 1)   # a match across two digests
            bucket += key
        self._count += 1
        if self._count > self._limit:
            self._grow()
        return True

    def __contains__(self, text):
        digest = self._digest(text) & MASK
        bucket = self._buckets[digest >> self._shift]
        if bucket is None:
            return False
        key = digest.to_bytes(8, 'little')
        at = bucket.find(key)
        while at >= 0:
            if not at & 7:
                return True
            at = bucket.find(key, at + 1)
        return False

    def _grow(self):
        """Twice the buckets: bucket i splits into 2i and 2i+1 (the next top bit)."""
        bit = 63 - self._bits
        grown = []
        for bucket in self._buckets:
            low, high = bytearray(), bytearray()
            for at in range(0, len(bucket or ()), 8):
                key = bucket[at:at + 8]
                (high if int.from_bytes(key, 'little') >> bit & 1 else low).extend(key)
            grown += (low or None, high or None)
        self._bits += 1
        self._shift -= 1
        self._limit = PER_BUCKET << self._bits
        self._buckets = grown
