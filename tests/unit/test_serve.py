import gzip
import os
import subprocess
import sys
import urllib.request

from stackviz_publish import serve

from tests.unit import publish_fixtures as fx


def published(tmp_path):
    site = fx.write_site(str(tmp_path / 'logs' / 'stackviz'))
    with gzip.open(os.path.join(site, 'data', 'run-0-raw.json.gz'), 'wb') as f:
        f.write(b'[{"name": "t"}]')
    return str(tmp_path / 'logs'), site


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_serves_site_and_raw_gz(tmp_path):
    logs, site = published(tmp_path)
    server = serve.make_server(site, 0)
    with server:
        serve.serve_in_thread(server)
        base = serve.url(server, site)
        assert base.startswith('http://127.0.0.1:') and base.endswith('/')
        status, _, body = fetch(base)
        assert status == 200 and b'stand-in site' in body
        status, headers, body = fetch(base + 'data/run-0-raw.json.gz')
        # Like object storage: gzip bytes, no Content-Encoding.
        assert 'Content-Encoding' not in headers
        assert gzip.decompress(body) == b'[{"name": "t"}]'
        server.shutdown()


def test_logs_folder_url_points_at_site(tmp_path):
    logs, _ = published(tmp_path)
    server = serve.make_server(logs, 0)
    with server:
        assert serve.url(server, logs).endswith('/stackviz/')


def test_cli_prints_url_and_serves(tmp_path):
    logs, _ = published(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, '-m', 'stackviz_publish.cli.main', 'serve', logs, '--port', '0'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith('Serving ')
        url = line.split(' at ')[1].split()[0]
        status, _, body = fetch(url)
        assert status == 200 and b'stand-in site' in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_missing_folder_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-m', 'stackviz_publish.cli.main', 'serve', str(tmp_path / 'no')],
        capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.strip().count('\n') == 0 and 'is not a folder' in proc.stderr
