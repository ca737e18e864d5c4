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

"""Done-when check for ``view``: on a served devstack-gate logs folder and on a served
Zuul logs folder with a manifest, ``stackviz-publish view URL`` builds and serves the
site, and headless Chromium sees the run."""
import pytest

from stackviz_publish import sitefiles

from tests.unit import test_publish_browser as browser
from tests.unit import view_fixtures as vf
from tests.unit.test_view import run_view

pytestmark = [
    pytest.mark.skipif(browser.CHROMIUM is None, reason='needs Chromium (bindep: chromium)'),
    pytest.mark.skipif(not sitefiles.is_site(sitefiles.PACKAGE_SITE),
                       reason='the site is not built (cd site && npm ci && npm run build)'),
]


@pytest.fixture(autouse=True)
def package_site(monkeypatch):
    monkeypatch.delenv('STACKVIZ_SITE', raising=False)
    monkeypatch.setattr(sitefiles, 'IMAGE_SITE', '/nonexistent/stackviz/site')


def view_in_browser(url, out):
    doms = []
    code, stdout, err = run_view([url, '--port', '0', '--out', out],
                                 serve_until=lambda served: doms.append(
                                     browser.dump_dom(served)))
    assert code == 0, err
    assert len(doms) == 1
    return doms[0]


def test_view_of_a_devstack_gate_logs_folder(tmp_path):
    logs, summary = vf.devstack_gate_logs(str(tmp_path / 'srv'), tests=200)
    with vf.LogServer(str(tmp_path / 'srv')) as server:
        dom = view_in_browser(server.url('logs/'), str(tmp_path / 'out'))
    browser.assert_shows_run(dom, 'testrepository.subunit.gz', summary)


def test_view_of_a_zuul_logs_folder_with_a_manifest(tmp_path):
    logs, summary = vf.zuul_logs(str(tmp_path), tests=200)
    with vf.LogServer(str(tmp_path)) as server:
        dom = view_in_browser(server.url('zuul-logs/'), str(tmp_path / 'out'))
    browser.assert_shows_run(dom, 'testrepository.subunit', summary)
    assert 'tempest-full-py3' in dom
