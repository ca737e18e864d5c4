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

"""The summary's figures that need every test: each worker's load and the slowest
tests, computed as tests arrive (a few numbers a worker and a fixed-size heap), so
that the summary shows them from the stats without loading the timeline."""
import heapq

from stackviz_publish.model import iso

SLOWEST = 10
# Workers listed in the stats; the others are counted (a hostile stream may name
# millions of workers).
MAX_LANES = 1000


class _Lane:
    __slots__ = ('tests', 'first', 'reach', 'busy', 'gap', 'gap_at')

    def __init__(self):
        self.tests = 0
        self.first = None     # start of its first timed test
        self.reach = None     # the latest end so far
        self.busy = 0
        self.gap = 0          # longest gap between two of its tests
        self.gap_at = None


class Figures:
    """Per-worker busy and idle time and the slowest finished tests of a run."""

    def __init__(self, slowest=SLOWEST):
        self.lanes = {}
        self.heap = []
        self.size = slowest
        self.seq = 0
        self.start = None
        self.end = None

    def add(self, entry, stamps):
        """One test: its raw.json ``entry`` and ``stamps`` (start, end) in
        microseconds (either may be None). Tests arrive in completion order, which on
        one worker is start order (a worker runs one test at a time)."""
        self.seq += 1
        worker = entry['worker']
        lane = self.lanes.get(worker)
        if lane is None:
            lane = self.lanes[worker] = _Lane()
        lane.tests += 1
        start, end = stamps if stamps is not None else (None, None)
        if start is None or end is None:
            return
        if end < start:
            start, end = end, start
        if self.start is None or start < self.start:
            self.start = start
        if self.end is None or end > self.end:
            self.end = end
        self._lane(lane, start, end)
        if entry['status'] != 'inprogress':
            item = (entry['duration'], -self.seq, entry['id'], entry['name'], worker)
            if len(self.heap) < self.size:
                heapq.heappush(self.heap, item)
            elif item > self.heap[0]:
                heapq.heapreplace(self.heap, item)

    @staticmethod
    def _lane(lane, start, end):
        if lane.reach is None:
            lane.first = start
            lane.busy = end - start
            lane.reach = end
            return
        if start > lane.reach:
            gap = start - lane.reach
            if gap > lane.gap:
                lane.gap = gap
                lane.gap_at = lane.reach
        if end > lane.reach:
            lane.busy += end - max(lane.reach, start)
            lane.reach = end
        if start < lane.first:
            lane.first = start

    def stats(self):
        """The stats' ``worker_lanes``, ``worker_lanes_not_listed`` and ``slowest``."""
        order = sorted(self.lanes, key=lambda w: (w is None, w if w is not None else 0))
        lanes = [self._figures(w, self.lanes[w]) for w in order[:MAX_LANES]]
        slowest = [{'id': i, 'name': n, 'duration': d, 'worker': w}
                   for d, _s, i, n, w in sorted(self.heap, reverse=True)]
        return {'worker_lanes': lanes, 'worker_lanes_not_listed': max(0, len(order) - MAX_LANES),
                'slowest': slowest}

    def _figures(self, worker, lane):
        run_start, run_end = self.start, self.end
        gap, gap_at = lane.gap, lane.gap_at
        if lane.reach is None:   # no timed test: idle all along
            idle = run_end - run_start if run_start is not None else 0
        else:
            before = lane.first - run_start
            if before > gap:
                gap, gap_at = before, run_start
            idle = max(0, (run_end - run_start) - lane.busy)
        return {'worker': worker, 'tests': lane.tests, 'busy': lane.busy / 1e6,
                'idle': idle / 1e6, 'longest_gap': gap / 1e6,
                'longest_gap_at': iso(gap_at) if gap and gap_at is not None else None}
