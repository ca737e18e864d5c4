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
# Each command's module. A command line naming one first imports that module only:
# the others pull in HTTP, TLS and python-subunit's writer (about 7 MB and a few
# hundred milliseconds that the post-job hook would pay on every run).
COMMANDS = {'export': SUBCOMMANDS[0], 'publish': SUBCOMMANDS[1], 'serve': SUBCOMMANDS[2],
            'sample': SUBCOMMANDS[3], 'view': SUBCOMMANDS[4],
            'elements-path': SUBCOMMANDS[5]}


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
    argv = sys.argv[1:] if argv is None else list(argv)
    named = COMMANDS.get(argv[0]) if argv else None
    modules = [importlib.import_module(name) for name in
               ((named,) if named else SUBCOMMANDS)]
    args = build_parser(modules).parse_args(argv)
    return args.run(args, stdout, stderr)


if __name__ == '__main__':
    sys.exit(main())
