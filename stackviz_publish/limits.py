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

"""Caps on what one export may hold and write, whatever its input (shared by every layer).

``Limits`` carries the settings from the CLI to the model and the writers; ``Budget``
counts the bytes the output folder may still take. Each setting has one name: the
Python field ``max_x`` is the flag ``--max-x`` of both commands. ``None`` (given as
``0`` on the command line) means no limit. See doc/source/exporter.rst, "Limits".
"""
import dataclasses
import re
import typing

MiB = 1 << 20
# The attachment a test gets when some of its attachments were left out: never a real
# attachment's key (those are \w only).
CUT_KEY = 'stackviz-cut'


@dataclasses.dataclass(frozen=True)
class Limits:
    max_attachment_bytes: typing.Optional[int] = 4 * MiB
    max_test_attachment_bytes: typing.Optional[int] = 8 * MiB
    max_test_attachments: typing.Optional[int] = 100
    max_id_chars: typing.Optional[int] = 4096
    max_message_chars: typing.Optional[int] = 2000
    max_run_details_bytes: typing.Optional[int] = 32 * MiB
    max_dstat_bytes: typing.Optional[int] = 16 * MiB
    max_output_bytes: typing.Optional[int] = 128 * MiB

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError('%s must be a whole number >= 0, not %r'
                                 % (field.name, value))
            if value == 0:   # 0 means no limit, in Python as on the command line
                object.__setattr__(self, field.name, None)


NO_LIMITS = Limits(**{f.name: None for f in dataclasses.fields(Limits)})
SETTINGS = tuple(f.name for f in dataclasses.fields(Limits))


def flag(setting):
    """'max_id_chars' -> '--max-id-chars': how messages name a setting."""
    return '--' + setting.replace('_', '-')


def parse_size(text):
    """'4M', '512k', '1048576' -> bytes (1024-based suffixes K, M, G)."""
    match = re.fullmatch(r'\s*(\d+)\s*([kKmMgG]?)[bB]?\s*', text)
    if not match:
        raise ValueError(text)
    return int(match.group(1)) * 1024 ** ' kmg'.index(match.group(2).lower() or ' ')


def human_size(n):
    """1536 -> '1.5 KB': how messages show a size (1024-based, as parse_size reads)."""
    for unit in ('B', 'KB', 'MB', 'GB'):
        if n < 1024 or unit == 'GB':
            return ('%d %s' % (n, unit)) if unit == 'B' else ('%.1f %s' % (n, unit))
        n /= 1024.0


def cut_marker(kept, total, setting, unit='bytes'):
    """The line ending a cut text: ``[stackviz: cut at N bytes of M (--max-x)]``."""
    return '[stackviz: cut at %d %s of %d (%s)]' % (kept, unit, total, flag(setting))


class BudgetError(Exception):
    """The output budget cannot hold even an empty run."""


class Budget:
    """Bytes the output may still take (``None``: no limit). Writers take an upper
    bound of what they are about to write before writing it, so the output never
    passes the total. The last ``reserve`` bytes (an eighth) are kept from what
    matters less: attachments may not use them, stats.json's lists only half, so
    that tests' raw.json entries are the last thing a full budget leaves out."""

    def __init__(self, total):
        self.left = total
        self.reserve = 0 if total is None else total // 8

    def take(self, size, keep=0):
        """Reserve ``size`` bytes if ``keep`` bytes still remain after; False (and
        nothing taken) when they do not fit."""
        if self.left is None:
            return True
        if size + keep > self.left:
            return False
        self.left -= size
        return True

    def give_back(self, size):
        """Return bytes taken that were not written (a bound was above the size)."""
        if self.left is not None and size > 0:
            self.left += size
