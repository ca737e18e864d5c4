// Copyright stackviz-publish developers.
//
// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License. You may obtain
// a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
// License for the specific language governing permissions and limitations
// under the License.

// Launches Debian's chromium through playwright-core (which the site's npm
// project installs; it downloads no browser of its own).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, rmSync } from 'node:fs';

const require = createRequire(new URL('../../site/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.STACKVIZ_CHROMIUM || '/usr/bin/chromium';

export function haveChromium() {
  return existsSync(CHROMIUM);
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records console errors, page errors and dialogs (an alert is an XSS). */
export async function newPage(browser, viewport = { width: 1400, height: 1000 }, options = {}) {
  const context = await browser.newContext({ viewport: viewport || { width: 1400, height: 1000 }, ...options });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective));
  });
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  return { page, context, problems };
}

/** A new page at `url`, once the site set timing mark `mark` (with no error). */
export async function openPage(browser, url, mark, viewport, options) {
  const p = await newPage(browser, viewport, options);
  await p.page.goto(url);
  await p.page.waitForFunction((m) => window.__stackviz && (window.__stackviz.marks[m] !== undefined ||
    window.__stackviz.errors.length > 0), mark);
  assert.deepEqual(await p.page.evaluate(() => window.__stackviz.errors), []);
  return p;
}

/** Check the page met no CSP violation, console error, page error or dialog; close it. */
export async function closeClean(p) {
  assert.deepEqual(await p.page.evaluate(() => window.__csp), [], 'no Content-Security-Policy violation');
  assert.deepEqual(p.problems, [], 'no console error, page error or dialog');
  await p.context.close();
}

/** A suite's teardown: its browser, its server and its scratch folder, whichever exist. */
export async function tearDown({ browser, server, root }) {
  await browser?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
}
