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

"""Readers: turn input files (subunit streams, repositories, dstat logs) into events.

Imports go one way: readers know nothing of the model or the writers. Code outside
this package imports what it needs from here (the facade), or the shared input-file
policy (readers.files, readers.errors); never the modules behind it.
"""
from stackviz_publish.readers.apart import read_apart  # noqa: F401
from stackviz_publish.readers.dstat import check_dstat  # noqa: F401
from stackviz_publish.readers.errors import ReadError  # noqa: F401
from stackviz_publish.readers.oslolog import Scan as ServiceLogScan  # noqa: F401
from stackviz_publish.readers.oslolog import Stop as ServiceLogStop  # noqa: F401
from stackviz_publish.readers.repository import run_path  # noqa: F401
from stackviz_publish.readers.stream import FIRST_STAMP  # noqa: F401
from stackviz_publish.readers.stream import LAST_STAMP  # noqa: F401
from stackviz_publish.readers.stream import looks_like_subunit  # noqa: F401
from stackviz_publish.readers.stream import open_input  # noqa: F401
from stackviz_publish.readers.stream import read_events  # noqa: F401
from stackviz_publish.readers.subunit_v2 import Damage  # noqa: F401
