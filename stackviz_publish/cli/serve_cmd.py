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

"""``stackviz-publish serve DIR [--port N]``: preview a published site on localhost."""
import os

from stackviz_publish import serve
from stackviz_publish import stopping
from stackviz_publish.cli import harness

PROG = 'stackviz-publish'


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'serve', help='preview a published site on localhost',
        **harness.parser_options(
            'Serve DIR (a published stackviz/ folder, or a logs folder holding one) on '
            '%s. .gz files are served as raw bytes, as object storage does. Stop with '
            'Ctrl-C.' % serve.HOST, 'stackviz-publish serve logs/stackviz --port 8080'))
    parser.add_argument('directory', metavar='DIR',
                        help='the folder to serve: a published stackviz/ folder or a '
                             'logs folder holding one')
    parser.add_argument('--port', type=int, default=8000,
                        help='port to listen on (default 8000; 0: any free port)')
    parser.add_argument('--allow-host', action='append', default=[], metavar='NAME',
                        help='also answer requests whose Host header is NAME (repeatable; '
                             'default: localhost, 127.0.0.1 and [::1] only)')
    harness.add_debug(parser)
    parser.set_defaults(run=run)
    return parser


def serve_forever(reporter, directory, port, allowed_hosts=()):
    """Serve ``directory`` until Ctrl-C or SIGTERM (a normal end: exit 0)."""
    if not os.path.isdir(directory):
        reporter.error('%s is not a folder' % directory)
        return harness.EXIT_ERROR
    try:
        server = serve.make_server(directory, port, allowed_hosts=allowed_hosts)
    except serve.ServeError as exc:
        reporter.error(str(exc))
        return harness.EXIT_ERROR
    except OSError as exc:
        reporter.error('cannot listen on port %d: %s' % (port, exc.strerror or exc))
        return harness.EXIT_ERROR
    try:
        with server:
            reporter.result('Serving %s at %s (Ctrl-C to stop)'
                            % (directory, serve.url(server, directory)))
            server.serve_forever()
    except stopping.Interrupted as stop:
        reporter.info('stopped: %s' % stop.reason)
    return harness.EXIT_OK


def run(args, stdout, stderr):
    reporter = harness.Reporter(PROG, stdout, stderr)
    return harness.execute(reporter, lambda: serve_forever(reporter, args.directory, args.port,
                                                           args.allow_host),
                           debug=harness.debug_wanted(args))
