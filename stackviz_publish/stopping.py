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

"""How a command stops early: Ctrl-C, SIGTERM and a time limit.

``guarded()`` turns SIGINT, SIGTERM and (with a time limit) SIGALRM into a ``Stopped``
exception raised in the main thread, wherever it is, a slow read or write included
(Python runs the handler when the system call is interrupted). The exception unwinds
through the ``finally`` blocks that remove stage and temporary folders. Those
clean-ups run ``shielded()``: a signal arriving then is held back and raised after,
so a second Ctrl-C cannot leave half a folder behind.

``Stopped`` derives from BaseException, like KeyboardInterrupt, so that code catching
Exception to turn a bad input into a warning does not swallow it.
"""
import contextlib
import signal
import threading
import time


class Stopped(BaseException):
    """The command was asked to stop; ``reason`` is a short phrase for the user."""

    def __init__(self, reason, signum=None):
        super().__init__(reason)
        self.reason = reason
        self.signum = signum


class Interrupted(Stopped):
    """SIGINT or SIGTERM."""


class TimeUp(Stopped):
    """The time limit was reached."""


TICK = 0.5
_NAMES = {signal.SIGINT: 'interrupted (SIGINT)', signal.SIGTERM: 'terminated (SIGTERM)'}


class _State:
    def __init__(self):
        self.deadline = None       # time.monotonic() value, or None
        self.limit = None          # seconds, for the message
        self.shield_depth = 0
        self.held = None           # a Stopped waiting for the shield to drop
        self.stopping = False      # one Stopped per run: later signals are ignored


_state = _State()


def _stopped_for(signum):
    if signum == signal.SIGALRM:
        return TimeUp('time limit of %s s reached' % _format_seconds(_state.limit), signum)
    return Interrupted(_NAMES.get(signum, 'stopped by signal %d' % signum), signum)


def _format_seconds(value):
    return ('%g' % value) if value is not None else '?'


def _handler(signum, _frame):
    if _state.stopping:
        return
    if signum == signal.SIGALRM and (_state.deadline is None
                                     or time.monotonic() < _state.deadline):
        return   # a tick (see guarded), not the deadline
    _state.stopping = True
    stop = _stopped_for(signum)
    if _state.shield_depth:
        _state.held = stop
        return
    raise stop


@contextlib.contextmanager
def guarded(time_limit=None):
    """Handle SIGINT and SIGTERM, and stop after ``time_limit`` seconds, inside the block.

    Outside the main thread signals cannot be handled; ``check()`` still enforces the
    time limit there. The previous handlers are restored on exit.
    """
    main = threading.current_thread() is threading.main_thread()
    previous = {}
    _state.__init__()
    if time_limit:
        _state.limit = time_limit
        _state.deadline = time.monotonic() + time_limit
    try:
        if main:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
                # A signal the caller ignores (nohup, a background job) stays ignored.
                if signal.getsignal(signum) is not signal.SIG_IGN or signum == signal.SIGALRM:
                    previous[signum] = signal.signal(signum, _handler)
            # A tick every TICK seconds interrupts a blocked read or write, so that
            # the handler of a signal that came just before the call (CPython runs
            # handlers between bytecodes, and a C loop of reads never checks) runs
            # now rather than when data next comes, and the deadline is kept.
            signal.setitimer(signal.ITIMER_REAL, TICK, TICK)
        yield
    finally:
        if main:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        _state.__init__()


@contextlib.contextmanager
def shielded(discard=False):
    """Hold back signals while the block runs (clean-up, the final rename), and raise
    the held stop after it. ``discard``: the block finishes the work, so a stop that
    came during it is moot; drop it and let later signals stop the command again."""
    _state.shield_depth += 1
    try:
        yield
    finally:
        _state.shield_depth -= 1
        held = _state.held
        if held is not None and not _state.shield_depth:
            _state.held = None
            if discard:
                _state.stopping = False
            else:
                raise held


def keep_signals_off_this_thread():
    """Run first in every helper thread: the kernel then delivers SIGINT, SIGTERM and
    SIGALRM to the main thread, where they interrupt a blocked read or write. (A signal
    that lands on a helper thread leaves the main thread blocked until data comes.)"""
    signal.pthread_sigmask(signal.SIG_BLOCK,
                           {signal.SIGINT, signal.SIGTERM, signal.SIGALRM})


def remaining():
    """Seconds left before the time limit, or None without one (a step with a budget
    of its own, the service logs' pass, ends early enough to leave room for the rest)."""
    if _state.deadline is None:
        return None
    return _state.deadline - time.monotonic()


def check():
    """Raise TimeUp when the time limit has passed (the backstop for code that runs
    outside the main thread, or between signals); a no-op without a limit."""
    if _state.deadline is not None and time.monotonic() >= _state.deadline \
            and not _state.shield_depth and not _state.stopping:
        _state.stopping = True
        raise _stopped_for(signal.SIGALRM)
