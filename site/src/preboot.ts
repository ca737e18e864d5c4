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

// The page's first script, inline in index.html's head (build.mjs puts it there and
// pins its sha256 in the Content-Security-Policy): over HTTP it asks for
// data/config.json as the page starts, before the style sheet and boot.js are in,
// and, as soon as config.json is in, for the one data script the route's first
// screen needs (the summary's first screen, or the timeline). boot.js and app.js
// take these answers over (early.ts). From file:// it does nothing: the twins are
// loaded with <script> by the page's code.
import { EarlyAnswers, earlyKey, firstArtifactPath } from './early';
import { parseHash } from './route';
import { xhrFetch } from './xhr';

function preboot(): void {
  if (location.protocol === 'file:') return;
  const got: EarlyAnswers = {};
  (window as unknown as { __stackvizEarly: EarlyAnswers }).__stackvizEarly = got;
  const ask = (path: string) => {
    const answer = xhrFetch(earlyKey(path));
    answer.catch(() => null);
    got[earlyKey(path)] = answer;
    return answer;
  };
  const route = parseHash(location.hash);
  const type = route.view === 'summary' ? 'stackviz-summary' : route.view === 'timeline' ? 'stackviz-timeline' : null;
  if (route.view !== 'summary') {
    // boot.js adds app.js only once it has run: on these views it is needed at once.
    const link = document.createElement('link');
    link.rel = 'preload';
    link.as = 'script';
    link.href = 'app.js';
    document.head.append(link);
  }
  ask('config.json').then((res) => (res.ok ? res.text() : null)).then((text) => {
    const path = text && type ? firstArtifactPath(JSON.parse(text), route.run || null, type) : null;
    if (path) ask(path);
  }).catch(() => null);
}

preboot();
