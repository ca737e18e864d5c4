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

"""What every command shares: how it speaks, how it fails, how it stops.

- One message sink (``Reporter``): a ``prog:`` prefix, one line per message, control
  characters escaped (file names and test ids come from untrusted input and must not
  forge lines or send escape codes to the terminal).
- One way to fail (``execute``): an expected error is one ``error:`` line, any other
  exception one ``internal error:`` line, never a traceback unless ``--debug`` (or
  ``STACKVIZ_DEBUG=1``). Ctrl-C and SIGTERM end with one line and exit 128 + signal.
- One exit code table, one parser class (usage errors escaped too), ``--debug`` on
  every command and an example in every ``--help``.
"""
import argparse
import os
import re
import sys

from stackviz_publish import limits
from stackviz_publish import peak_memory
from stackviz_publish import stopping

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOTHING = 3
EXIT_WARNINGS = 4
EXIT_TIME_LIMIT = 5

# C0 and C1 controls, DEL, line/paragraph separators, bidi overrides and lone
# surrogates (undecodable bytes of a file name): none may reach a terminal as they are.
_UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069'
                     '\ud800-\udfff]')


def escape(text):
    """``text`` on one line, every control character written as ``\\xNN``/``\\uNNNN``."""
    return _UNSAFE.sub(_escape_char, str(text))


def _escape_char(match):
    code = ord(match.group())
    if 0xdc80 <= code <= 0xdcff:   # surrogateescape: show the original byte
        return '\\x%02x' % (code - 0xdc00)
    return ('\\x%02x' % code) if code < 0x100 else ('\\u%04x' % code)


def plural(count, word, words=None):
    """'1 test', '2 tests', '0 failures'."""
    return '%d %s' % (count, word if count == 1 else (words or word + 's'))


def one_line(exc):
    """An exception as a short phrase: 'path: Permission denied' for OSError."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = '%s: %s' % (exc.filename, exc.strerror)
    return text


class Reporter:
    """The single sink of a command's messages (see the module docstring)."""

    def __init__(self, prog, stdout=None, stderr=None):
        self.prog = prog
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.warnings = 0

    def _emit(self, stream, text, prefix=True):
        line = escape(text)
        if prefix:
            line = '%s: %s' % (self.prog, line)
        try:
            stream.write(line + '\n')
            stream.flush()
        except (OSError, ValueError):   # closed or broken pipe: nobody is listening
            pass

    def result(self, text):
        """A result line on stdout, without the prefix (a run's summary)."""
        self._emit(self.stdout, text, prefix=False)

    def info(self, text):
        self._emit(self.stdout, text)

    def tell(self, text):
        """A prefixed line on stderr that is neither a warning nor an error."""
        self._emit(self.stderr, text)

    def note(self, text):
        self._emit(self.stdout, 'note: ' + text)

    def warn(self, text):
        self.warnings += 1
        self._emit(self.stderr, 'warning: ' + text)

    def error(self, text, kind='error'):
        self._emit(self.stderr, '%s: %s' % (kind, text))


def summary_line(summary, destination=None):
    """One run's counts, as the site counts them: unfinished tests are tests."""
    text = '%s: %s, %s, %s, %s unfinished' % (
        summary.name, plural(summary.tests, 'test'), plural(summary.failures, 'failure'),
        plural(summary.skips, 'skip'), summary.inprogress)
    if summary.wall_time is not None:
        text += ', wall time %.1f s' % summary.wall_time
    if destination:
        text += ' -> %s' % destination
    return text


def debug_wanted(args, environ=None):
    environ = os.environ if environ is None else environ
    return bool(getattr(args, 'debug', False) or environ.get('STACKVIZ_DEBUG'))


def execute(reporter, body, expected=(), debug=False, lenient=False, time_limit=None,
            stopped_note=None):
    """Run ``body()`` (returns an exit code) under signal handling; return the code.

    ``expected``: exception types that are the input's or the environment's fault (one
    ``error:`` line). ``lenient``: failures still print their line but exit 0 (the
    publisher without --strict); a signal always gives 128 + its number.
    ``stopped_note``: what the user should know after a stop (what was left as it was).
    With ``debug``, the peak memory of the process is told at the end.
    """
    try:
        return _execute(reporter, body, expected, debug, lenient, time_limit,
                        stopped_note)
    finally:
        if debug and peak_memory.peak_bytes():
            reporter.tell('debug: peak memory (RSS) %s'
                          % limits.human_size(peak_memory.peak_bytes()))


def _execute(reporter, body, expected, debug, lenient, time_limit, stopped_note):
    try:
        with stopping.guarded(time_limit):
            code = body()
    except stopping.Stopped as stop:
        message = stop.reason
        if stopped_note:
            message += '; ' + stopped_note
        if isinstance(stop, stopping.TimeUp):
            reporter.error(message)
            return EXIT_OK if lenient else EXIT_TIME_LIMIT
        reporter.error(message)
        return 128 + (stop.signum or 0)
    except KeyboardInterrupt:   # a SIGINT outside the guarded block's reach
        reporter.error('interrupted' + ('; ' + stopped_note if stopped_note else ''))
        return 128 + 2
    except expected as exc:
        reporter.error(one_line(exc))
        code = EXIT_ERROR
    except Exception as exc:   # our own bug: one line, and fail, unless debugging
        if debug:
            raise
        reporter.error('%s: %s (run with --debug for a traceback)'
                       % (type(exc).__name__, one_line(exc)), kind='internal error')
        code = EXIT_ERROR
    return EXIT_OK if lenient else code


class Parser(argparse.ArgumentParser):
    """argparse with usage errors escaped like every other message."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, '%s: error: %s\n' % (self.prog, escape(message)))


def parser_options(description, example):
    """Keyword arguments for a command's parser: its description and one example."""
    return dict(description=description, epilog='example:\n  ' + example,
                formatter_class=argparse.RawDescriptionHelpFormatter)


def add_debug(parser):
    parser.add_argument('--debug', action='store_true',
                        help='print a traceback on an internal error (also: '
                             'STACKVIZ_DEBUG=1)')
