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

"""Done-when check: a site published from a devstack-gate or a Zuul logs folder opens in
headless Chromium and shows the run (served over HTTP, with raw .gz, and from file://)."""
import html
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from stackviz_publish import serve
from stackviz_publish import sitefiles

from tests.unit import publish_fixtures as fx
from tests.unit.test_publish import run_cli

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason='needs Chromium (bindep: chromium)'),
    pytest.mark.skipif(not sitefiles.is_site(sitefiles.PACKAGE_SITE),
                       reason='the site is not built (cd site && npm ci && npm run build)'),
]


def dump_dom(url):
    """The page's DOM once its scripts have run."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
             '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--allow-file-access-from-files',
             '--user-data-dir=' + profile, '--virtual-time-budget=15000', '--dump-dom', url],
            capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def card(dom, label):
    match = re.search(r'>%s</div>\s*<div class="value">([^<]*)<' % label, dom)
    return html.unescape(match.group(1)) if match else None


def assert_shows_run(dom, run_name, summary):
    assert run_name in dom
    # The page's inline script (its text is in the dump) names the loading notes too.
    shown = re.sub(r'<script\b[^>]*>.*?</script>', '', dom, flags=re.S)
    assert 'Loading' not in shown
    assert card(dom, 'Failed') == str(summary['fail'])
    assert card(dom, 'Skipped') == str(summary['skip'])


@pytest.fixture(autouse=True)
def package_site(monkeypatch):
    monkeypatch.delenv('STACKVIZ_SITE', raising=False)
    monkeypatch.setattr(sitefiles, 'IMAGE_SITE', '/nonexistent/stackviz/site')


def served(logs_dir):
    server = serve.make_server(logs_dir, 0)
    serve.serve_in_thread(server)
    return server


def test_devstack_gate_site_opens_over_http_and_file(tmp_path):
    logs, summary = fx.devstack_gate(str(tmp_path), tests=300, unfinished=1)
    code, out, err = run_cli([logs], environ={})
    assert code == 0, err
    server = served(logs)
    try:
        assert_shows_run(dump_dom(serve.url(server, logs)), 'testrepository.subunit.gz',
                         summary)
    finally:
        server.shutdown()
        server.server_close()
    index = os.path.join(logs, 'stackviz', 'index.html')
    assert_shows_run(dump_dom('file://' + index), 'testrepository.subunit.gz', summary)


def test_zuul_site_with_gzip_opens_from_raw_gz_server(tmp_path):
    logs, work, summary = fx.zuul_v3(str(tmp_path), tests=300)
    code, out, err = run_cli([logs, '--work-dir', work, '--gzip', '--job', 'tempest-full'],
                             environ={})
    assert code == 0, err
    server = served(logs)  # serves .gz as bytes, as object storage does
    try:
        dom = dump_dom(serve.url(server, logs))
    finally:
        server.shutdown()
        server.server_close()
    assert_shows_run(dom, 'testrepository.subunit', summary)
    assert 'tempest-full' in dom
