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

// Entry point of app.js (added by boot.js): picks how data is loaded (fetch over
// HTTP, script twins from file://) and starts the app.
import { App } from './app';
import { Handoff, pageSource } from './handoff';
import { TimelineDecoder } from './timelineload';

// The timeline worker starts as this script runs, not once the document is parsed:
// it takes 20 to 130 ms to start, which a timeline's first screen waits for.
const decoder = new TimelineDecoder();
decoder.warm();

function boot(): void {
  const root = document.getElementById('app')!;
  const header = document.getElementById('top')!;
  // boot.js ran first: it asked for config.json and may have painted the summary.
  const handoff = (window as unknown as { __stackvizBoot?: Handoff }).__stackvizBoot || null;
  const source = pageSource();
  const app = new App(source, root, header, handoff, decoder);
  (window as unknown as { __stackviz: unknown }).__stackviz = app.probe;
  app.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
