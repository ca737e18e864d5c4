"""Preview a published site on localhost.

Files are served as they are: a ``.gz`` data file comes back as gzip bytes with no
``Content-Encoding``, exactly as object-storage log servers serve it, so a preview
shows what users of those servers will see.
"""
import functools
import http.server
import os
import threading

HOST = '127.0.0.1'


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map, **{
        '.js': 'text/javascript', '.json': 'application/json', '.gz': 'application/gzip',
        '.csv': 'text/csv', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
    })

    def log_message(self, format, *args):
        pass  # a preview needs no access log

    def end_headers(self):
        # A re-published site must not be shadowed by a cached old one.
        self.send_header('Cache-Control', 'no-store')
        super().end_headers()


def site_root(directory):
    """The URL path to open: a logs folder holding stackviz/ opens that site."""
    if not os.path.isfile(os.path.join(directory, 'index.html')) and os.path.isfile(
            os.path.join(directory, 'stackviz', 'index.html')):
        return '/stackviz/'
    return '/'


def make_server(directory, port=0, host=HOST):
    """A bound, not yet serving, HTTP server for ``directory`` (port 0: any free port)."""
    handler = functools.partial(_Handler, directory=os.path.abspath(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)


def url(server, directory):
    host, port = server.server_address[:2]
    return 'http://%s:%d%s' % (host, port, site_root(directory))


def serve_in_thread(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
