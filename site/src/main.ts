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

// Entry point: picks how data is loaded (fetch over HTTP, script twins from
// file://) and starts the app.
import { App } from './app';
import { HttpSource, ScriptSource, Source } from './loader';

function boot(): void {
  const root = document.getElementById('app')!;
  const header = document.getElementById('top')!;
  const source: Source = location.protocol === 'file:'
    ? new ScriptSource('data/', document, window as Window & { stackvizData?: unknown })
    : new HttpSource('data/', (url) => fetch(url));
  const app = new App(source, root, header);
  (window as unknown as { __stackviz: unknown }).__stackviz = app.probe;
  app.start();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
