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

"""Failures grouped by cause and skips grouped by reason, for the summary page.

A broken job fails hundreds of tests for one reason; listing them one by one buries
the reason. Here each failure is keyed by its exception line with the parts that
change from test to test (numbers, UUIDs, hex ids, addresses, quoted values) masked,
so the page shows one group per cause. Everything is bounded: the key is cut before
masking, and only the largest groups and the first tests of each are listed, with
counts of the rest. Time is linear in the number of failures and skips.
"""
import re

MAX_GROUPS = 50          # groups listed, largest first
MAX_TESTS = 1000         # test ids listed per group
MESSAGE_LINES = 6        # lines of the first member's message shown with a group
KEY_CHARS = 300          # the cause line is cut to this before masking
FIXTURE = re.compile(r'\.(setUpClass|tearDownClass|setUpModule|tearDownModule)$')
NO_TRACEBACK = '(no traceback)'
# A traceback an attachment limit cut keeps its start, not its end (the exception
# line): its message ends with the cut's marker (see limits.cut_marker). Such
# failures have no cause to show: one group per limit, listed after those that have.
CUT = '(traceback cut by %s: its exception line was not kept)'
_CUT_PREFIX = CUT[:CUT.index('%s')]
_CUT_MARKER = re.compile(r'^\[stackviz: cut at \d+ bytes of \d+ \((--[a-z-]+)\)\]$')

# Most specific first: a UUID holds hex and digits, an address holds numbers.
_MASKS = (
    (re.compile(r'"[^"\n]{0,200}"'), '"…"'),
    (re.compile(r"'[^'\n]{0,200}'"), "'…'"),
    (re.compile(r'\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                r'[0-9a-fA-F]{12}\b'), '<uuid>'),
    (re.compile(r'\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b'), '<address>'),
    (re.compile(r'\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b'), '<address>'),
    (re.compile(r'\b0x[0-9a-fA-F]+\b'), '<hex>'),
    (re.compile(r'\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b'), '<hex>'),
    (re.compile(r'\d+(?:\.\d+)?'), '<n>'),
)


def mask(line):
    """The line with what varies between occurrences of one cause masked."""
    line = line.strip()[:KEY_CHARS]
    for pattern, repl in _MASKS:
        line = pattern.sub(repl, line)
    return line


def exception_lines(message):
    """The message from its exception line on: what follows the last frame (a
    ``File`` line and its indented source line), or all of it without frames."""
    lines = list(message or ())
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith('  File "'):
            rest = lines[i + 1:]
            while rest and rest[0].startswith(' '):
                rest = rest[1:]
            return rest or lines[i:]
    return lines


def fixture_class(name):
    """``pkg.mod.Class`` for a class fixture failure (it fails the whole class)."""
    match = FIXTURE.search(name)
    return name[:match.start()] if match else None


def _grouped(items, key_of, message_of):
    groups = {}
    for item in items:
        key = key_of(item)
        group = groups.get(key)
        if group is None:
            group = groups[key] = {'cause': key, 'message': message_of(item),
                                   'count': 0, 'tests': [], 'classes': []}
        group['count'] += 1
        if len(group['tests']) < MAX_TESTS:
            group['tests'].append(item['id'])
        cls = fixture_class(item.get('name', ''))
        if cls is not None and len(group['classes']) < MAX_TESTS:
            group['classes'].append(cls)
    # Stable sort: equal sizes keep the order their first member completed in; groups
    # without a cause (no traceback, or cut) last.
    ordered = sorted(groups.values(), key=lambda g: (_no_cause(g['cause']), -g['count']))
    for group in ordered:
        group['more_tests'] = group['count'] - len(group['tests'])
    listed = ordered[:MAX_GROUPS]
    rest = ordered[MAX_GROUPS:]
    return listed, {'groups': len(rest), 'tests': sum(g['count'] for g in rest)}


def _failure_key(failure):
    lines = exception_lines(failure.get('details'))
    if not lines:
        return NO_TRACEBACK
    cut = _CUT_MARKER.match(lines[-1])
    if cut:
        return CUT % cut.group(1)
    return mask(lines[0])


def _no_cause(key):
    return key == NO_TRACEBACK or key.startswith(_CUT_PREFIX)


def _failure_message(failure):
    return [line[:KEY_CHARS] for line in exception_lines(failure.get('details'))[:MESSAGE_LINES]]


def _skip_key(skip):
    reason = (skip.get('details') or '').strip()
    return mask(reason.splitlines()[0]) if reason else '(no reason given)'


def _skip_message(skip):
    reason = (skip.get('details') or '').strip()
    return [line[:KEY_CHARS] for line in reason.splitlines()[:MESSAGE_LINES]]


def triage(failures, skips):
    """The ``triage`` extension of stats.json from its ``failures`` and ``skips``."""
    fail_groups, fail_rest = _grouped(failures, _failure_key, _failure_message)
    skip_groups, skip_rest = _grouped(skips, _skip_key, _skip_message)
    for group in skip_groups:
        del group['classes']
    return {'failure_groups': fail_groups, 'failure_groups_not_listed': fail_rest,
            'skip_groups': skip_groups, 'skip_groups_not_listed': skip_rest,
            'limits': {'groups': MAX_GROUPS, 'tests': MAX_TESTS}}
