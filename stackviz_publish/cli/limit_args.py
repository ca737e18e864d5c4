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

"""The limit flags, the same on ``stackviz-export``, ``stackviz-publish export`` and
``stackviz-publish publish``: ``--max-x`` sets ``limits.Limits.max_x``."""
import argparse

from stackviz_publish import limits

_HELP = {
    'max_attachment_bytes': 'cut an attachment past SIZE bytes',
    'max_test_attachment_bytes': 'cut a test\'s attachments past SIZE bytes in all',
    'max_test_attachments': 'keep at most N attachments per test',
    'max_id_chars': 'cut test ids past N characters (ids stay unique)',
    'max_message_chars': 'cut failure messages and skip reasons past N characters',
    'max_run_details_bytes': 'keep at most SIZE bytes of attachments per run',
    'max_dstat_bytes': 'downsample (then cut) a dstat log to SIZE bytes',
    'max_output_bytes': 'write at most SIZE bytes in all (the site included)',
}
# Older spellings, still accepted (not shown in --help).
_ALIASES = {'max_attachment_bytes': ('--max-attachment-size',)}


def _count(text):
    try:
        return limits.parse_size(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a size (a number, optionally with '
                                         'K, M or G)' % text)


def add_arguments(parser):
    group = parser.add_argument_group(
        'limits (0: no limit; sizes take K, M, G suffixes; every cut is marked in the '
        'data and warned about once per kind)')
    defaults = limits.Limits()
    for setting in limits.SETTINGS:
        default = getattr(defaults, setting)
        metavar = 'N' if setting in ('max_test_attachments', 'max_id_chars',
                                     'max_message_chars') else 'SIZE'
        group.add_argument(limits.flag(setting), dest=setting, type=_count,
                           default=default, metavar=metavar,
                           help='%s (default %s)' % (_HELP[setting], _human(default)))
        for alias in _ALIASES.get(setting, ()):
            group.add_argument(alias, dest=setting, type=_count, help=argparse.SUPPRESS)


def _human(value):
    for unit, size in (('M', limits.MiB), ('K', 1024)):
        if value >= size and value % size == 0:
            return '%d%s' % (value // size, unit)
    return str(value)


def limits_from(args):
    """A limits.Limits from parsed flags (defaults for any flag not there)."""
    return limits.Limits(**{s: getattr(args, s) for s in limits.SETTINGS
                            if hasattr(args, s)})
