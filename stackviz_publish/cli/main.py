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

"""``stackviz-publish``: one command with a subcommand per module."""
import importlib
import sys

from stackviz_publish.cli import harness

# Subcommand modules, in the order --help lists them.
SUBCOMMANDS = (
    'stackviz_publish.cli.export_cmd',
    'stackviz_publish.cli.publish_cmd',
    'stackviz_publish.cli.serve_cmd',
    'stackviz_publish.cli.sample_cmd',
    'stackviz_publish.cli.view_cmd',
    'stackviz_publish.cli.elements_cmd',
)


def build_parser(modules):
    parser = harness.Parser(
        prog='stackviz-publish', **harness.parser_options(
            'Export, publish and preview Stackviz test-run views.',
            'stackviz-publish publish logs/ && stackviz-publish serve logs/stackviz'))
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND')
    subparsers.required = True
    for module in modules:
        module.add_parser(subparsers)
    return parser


def main(argv=None, stdout=None, stderr=None):
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    modules = [importlib.import_module(name) for name in SUBCOMMANDS]
    args = build_parser(modules).parse_args(argv)
    return args.run(args, stdout, stderr)


if __name__ == '__main__':
    sys.exit(main())
