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

"""One background thread for the heavy writes (compression above all).

zlib and file writes release the GIL, so on a machine with two cores the compression
of one shard overlaps the parsing of the next tests. Tasks run in the order given; at
most ``max_pending`` wait, so a slow disk slows the export instead of filling memory.
"""
import collections
from concurrent import futures

from stackviz_publish import stopping


class Background:
    def __init__(self, max_pending=4):
        self._pool = futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='stackviz-writer',
            initializer=stopping.keep_signals_off_this_thread)
        self._pending = collections.deque()
        self._max = max_pending

    def submit(self, func, *args):
        """Queue ``func(*args)``; return its future."""
        while len(self._pending) >= self._max:
            self._pending.popleft().result()
        future = self._pool.submit(func, *args)
        self._pending.append(future)
        return future

    def wait(self):
        """Wait for every task; raise the first task error."""
        while self._pending:
            self._pending.popleft().result()

    def close(self):
        try:
            self.wait()
        finally:
            for task in self._pending:
                task.cancel()
            self._pool.shutdown(wait=True)


class Inline:
    """The same interface, running each task at once (for callers without a thread)."""

    def submit(self, func, *args):
        future = futures.Future()
        future.set_result(func(*args))
        return future

    def wait(self):
        pass

    def close(self):
        pass
