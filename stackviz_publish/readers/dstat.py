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

"""Check that a file is a dstat CSV log (dstat 0.7, dool, pcp-dstat) before it is
published: the site parses it, so a wrong file would only show as a broken chart."""
import csv
import re

from stackviz_publish.readers import files

_TIME = re.compile(r'^\d\d-\d\d \d\d:\d\d:\d\d$')
_EPOCH = re.compile(r'^\d+(\.\d+)?$')
MAX_HEADER_LINES = 20


def check_dstat(path, within=None):
    """Return None if ``path`` looks like dstat CSV, else a one-line reason
    (``within``: see files.open_file)."""
    try:
        with files.open_file(path, within, text=True) as handle:
            rows = csv.reader(handle)
            header = None
            for number, row in enumerate(rows):
                if header is None:
                    if row and row[0].strip() in ('time', 'epoch'):
                        header = row
                    elif number >= MAX_HEADER_LINES:
                        break
                    continue
                if not row:
                    continue
                first = row[0].strip()
                if _TIME.match(first) or _EPOCH.match(first):
                    return None
                return 'its first data row starts with %r, not a dstat time' % first[:40]
    except csv.Error as exc:
        return 'it is not CSV (%s)' % exc
    except files.InputError as exc:
        return 'it cannot be read (%s)' % exc.reason
    if header is None:
        return 'it has no dstat column row ("time", ...) in its first %d lines' \
            % MAX_HEADER_LINES
    return 'it has a header but no data rows'
