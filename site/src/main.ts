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
