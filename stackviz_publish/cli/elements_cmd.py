"""``stackviz-publish elements-path``: the folder to put in ELEMENTS_PATH."""
from stackviz_publish import shipped


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'elements-path', help='print the folder of the DIB elements to put in ELEMENTS_PATH',
        description='Print the folder holding the stackviz diskimage-builder element '
                    '(installed with this release under share/stackviz-publish/elements), '
                    'for ELEMENTS_PATH or a nodepool elements-dir.')
    parser.set_defaults(run=run)
    return parser


def run(args, stdout, stderr):
    folder = shipped.find('elements')
    if not folder:
        stderr.write('stackviz-publish: error: no elements folder installed with this '
                     'package (share/stackviz-publish/elements); install a release wheel '
                     'or sdist\n')
        return 1
    stdout.write(folder + '\n')
    return 0
