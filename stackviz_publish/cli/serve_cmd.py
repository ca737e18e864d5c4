"""``stackviz-publish serve DIR [--port N]``: preview a published site on localhost."""
import os

from stackviz_publish import serve


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'serve', help='preview a published site on localhost',
        description='Serve DIR (a published stackviz/ folder, or a logs folder holding '
                    'one) on %s. .gz files are served as raw bytes, as object storage '
                    'does. Stop with Ctrl-C.' % serve.HOST)
    parser.add_argument('directory', metavar='DIR')
    parser.add_argument('--port', type=int, default=8000,
                        help='port to listen on (default 8000; 0: any free port)')
    parser.add_argument('--allow-host', action='append', default=[], metavar='NAME',
                        help='also answer requests whose Host header is NAME (repeatable; '
                             'default: localhost, 127.0.0.1 and [::1] only)')
    parser.set_defaults(run=run)
    return parser


def serve_forever(directory, port, stdout, stderr, allowed_hosts=()):
    if not os.path.isdir(directory):
        stderr.write('stackviz-publish: error: %s is not a folder\n' % directory)
        return 1
    try:
        server = serve.make_server(directory, port, allowed_hosts=allowed_hosts)
    except serve.ServeError as exc:
        stderr.write('stackviz-publish: error: %s\n' % exc)
        return 1
    except OSError as exc:
        stderr.write('stackviz-publish: error: cannot listen on port %d: %s\n'
                     % (port, exc.strerror or exc))
        return 1
    with server:
        stdout.write('Serving %s at %s (Ctrl-C to stop)\n'
                     % (directory, serve.url(server, directory)))
        stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def run(args, stdout, stderr):
    return serve_forever(args.directory, args.port, stdout, stderr, args.allow_host)
