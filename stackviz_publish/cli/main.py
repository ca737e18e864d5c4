"""``stackviz-publish``: one command with a subcommand per module."""
import argparse
import importlib
import sys

# Subcommand modules, in the order --help lists them.
SUBCOMMANDS = (
    'stackviz_publish.cli.export_cmd',
    'stackviz_publish.cli.publish_cmd',
    'stackviz_publish.cli.serve_cmd',
    'stackviz_publish.cli.sample_cmd',
    'stackviz_publish.cli.elements_cmd',
)


def build_parser(modules):
    parser = argparse.ArgumentParser(
        prog='stackviz-publish',
        description='Export, publish and preview Stackviz test-run views.')
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
