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

// DOM helpers. Data from a run is untrusted: it only ever becomes text nodes,
// attribute values or canvas text, never markup.

type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  cls?: string;
  href?: string;
  title?: string;
  id?: string;
  type?: string;
  value?: string;
  data?: Record<string, string>;
  onclick?: (e: MouseEvent) => void;
  onchange?: (e: Event) => void;
  oninput?: (e: Event) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs | null = null, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    if (attrs.cls) el.className = attrs.cls;
    if (attrs.href !== undefined) el.setAttribute('href', attrs.href);
    if (attrs.title !== undefined) el.title = attrs.title;
    if (attrs.id) el.id = attrs.id;
    if (attrs.type) el.setAttribute('type', attrs.type);
    if (attrs.value !== undefined) (el as HTMLInputElement).value = attrs.value;
    if (attrs.data) for (const [k, v] of Object.entries(attrs.data)) el.dataset[k] = v;
    if (attrs.onclick) el.addEventListener('click', attrs.onclick as EventListener);
    if (attrs.onchange) el.addEventListener('change', attrs.onchange);
    if (attrs.oninput) el.addEventListener('input', attrs.oninput);
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** A canvas sized for the device pixel ratio; returns its 2D context in CSS pixels. */
export function sizeCanvas(c: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    c.style.width = width + 'px';
    c.style.height = height + 'px';
  }
  const ctx = c.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** "1 test", "2 tests": counts read the same everywhere (the CLI says them so too). */
export function plural(n: number, word: string, many = word + 's'): string {
  return `${n} ${n === 1 ? word : many}`;
}
