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

// Pixels of an ImageData seen as a Uint32Array, one packed RGBA value each. The
// timeline's lanes and the dense dstat plots are written here and put on their
// canvas in one call: a software-drawn canvas spends far longer on thousands of
// small rects than on writing the same pixels.

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The opaque pixel of a colour written '#rrggbb'. */
export function rgbPixel(hex: string): number {
  const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
  return (LITTLE_ENDIAN ? (255 << 24) | (b << 16) | (g << 8) | r : (r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

/** `over` at opacity `alpha` on an opaque `under`, channel by channel (the byte order does not matter). */
export function mix(under: number, over: number, alpha: number): number {
  const keep = 1 - alpha;
  const c0 = ((under & 255) * keep + (over & 255) * alpha + 0.5) & 255;
  const c1 = (((under >>> 8) & 255) * keep + ((over >>> 8) & 255) * alpha + 0.5) & 255;
  const c2 = (((under >>> 16) & 255) * keep + ((over >>> 16) & 255) * alpha + 0.5) & 255;
  const c3 = ((under >>> 24) * keep + (over >>> 24) * alpha + 0.5) & 255;
  return (c0 | (c1 << 8) | (c2 << 16) | (c3 << 24)) >>> 0;
}

/** Copies `row` into rows y0..y1-1 (clamped to the image) of an image `width` wide. */
export function fillRows(px: Uint32Array, width: number, row: Uint32Array, y0: number, y1: number): void {
  const height = px.length / width;
  for (let y = Math.max(0, y0), end = Math.min(height, y1); y < end; y++) px.set(row, y * width);
}

/** Column x from row y0 to y1-1 (clamped) in `color`, or `color` at `alpha` on what is there. */
export function fillColumn(px: Uint32Array, width: number, x: number, y0: number, y1: number,
  color: number, alpha = 1): void {
  const height = px.length / width;
  if (x < 0 || x >= width) return;
  const end = Math.min(height, y1);
  let at = Math.max(0, y0) * width + x;
  const stop = end * width + x;
  if (alpha >= 1) {
    for (; at < stop; at += width) px[at] = color;
    return;
  }
  // Neighbouring pixels usually share a colour: blend once per colour met.
  let last = -1, lastOut = 0;
  for (; at < stop; at += width) {
    const under = px[at];
    if (under !== last) {
      last = under;
      lastOut = mix(under, color, alpha);
    }
    px[at] = lastOut;
  }
}

/**
 * What a kept buffer of pixels was drawn for: it is drawn again only when some of
 * that changed (a zoom, a pan, a resize, a new search), not for a cursor or a hover.
 */
export class DrawnFor {
  private last: unknown[] | null = null;

  /** True when `key` differs from the one of the last call (it then becomes the last). */
  changed(...key: unknown[]): boolean {
    const last = this.last;
    if (last && last.length === key.length && key.every((v, i) => Object.is(v, last[i]))) return false;
    this.last = key;
    return true;
  }
}
