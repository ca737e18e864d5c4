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

"""The process's resident memory and its peak, as Linux counts them (/proc/self/status).

``--debug`` prints the peak at the end of a command, so that whoever sets a node's
memory limits can see what a run took; the benches and the fuzz test read it too.
Elsewhere (no /proc) every figure is 0 and ``reset_peak`` says it could not reset.
"""

_STATUS = '/proc/self/status'


def _status_kb(field):
    try:
        with open(_STATUS) as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_bytes():
    """Resident memory now."""
    return _status_kb('VmRSS') * 1024


def peak_bytes():
    """The peak resident memory (VmHWM) since the process started or the last reset."""
    return _status_kb('VmHWM') * 1024


def reset_peak():
    """Make the peak start again from the current RSS; False where Linux does not let
    this process do it (writing 5 to clear_refs needs a kernel >= 4.0)."""
    try:
        with open('/proc/self/clear_refs', 'w') as refs:
            refs.write('5')
        return True
    except OSError:
        return False
