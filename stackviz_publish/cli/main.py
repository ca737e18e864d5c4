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
