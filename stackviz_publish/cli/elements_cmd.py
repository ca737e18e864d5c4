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

"""``stackviz-publish elements-path``: the folder to put in ELEMENTS_PATH."""
from stackviz_publish import shipped
from stackviz_publish.cli import harness

PROG = 'stackviz-publish'


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'elements-path', help='print the folder of the DIB elements to put in ELEMENTS_PATH',
        **harness.parser_options(
            'Print the folder holding the stackviz diskimage-builder element (installed '
            'with this release under share/stackviz-publish/elements), for ELEMENTS_PATH '
            'or a nodepool elements-dir.',
            'stackviz-publish elements-path   # e.g. ELEMENTS_PATH=$(stackviz-publish '
            'elements-path) disk-image-create debian-minimal stackviz'))
    harness.add_debug(parser)
    parser.set_defaults(run=run)
    return parser


def print_path(reporter):
    folder = shipped.find('elements')
    if not folder:
        reporter.error('no elements folder installed with this package '
                       '(share/stackviz-publish/elements); install a release wheel or sdist')
        return harness.EXIT_ERROR
    reporter.result(folder)
    return harness.EXIT_OK


def run(args, stdout, stderr):
    reporter = harness.Reporter(PROG, stdout, stderr)
    return harness.execute(reporter, lambda: print_path(reporter),
                           debug=harness.debug_wanted(args))
