"""Command-line entry points. Each subcommand is one module with
``add_parser(subparsers)`` and ``run(args, stdout, stderr) -> int``."""
