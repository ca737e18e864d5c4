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

// The timeline: one canvas lane per worker, an overview strip with a brush,
// and hover / click / keyboard selection. Drawing visits only the visible tests
// (binary search by time) and merges them into runs of pixel columns, each
// showing its most severe test (laneruns.ts), which are written as pixels, a row
// per lane; the label column is drawn once per layout, and the axis draws
// ticks for the pixel width, not for the span. So a 100k-test run on 64 workers,
// or one whose outliers stretch it over a thousand years, pans and zooms at
// frame rate. The view opens on the run without its outliers (run.core); the
// overview shows that extent and marks outliers at its edges.
import { axisTicks } from './axis';
import { h, sizeCanvas } from './dom';
import { formatDuration } from './iso';
import { LEVELS, LaneRuns, LevelCache, SEAM, levelFaded, levelStatus } from './laneruns';
import { Run, Status, Test, Lane, STATUSES, testAt } from './model';
import { DrawnFor, mix, rgbPixel } from './pixels';
import { formatAt, formatDate } from './timefmt';

export const GUTTER = 76;
const AXIS_H = 18;
const OVERVIEW_H = 36;

// How each status is drawn; faded: a test the search leaves out. Which status
// wins a pixel column shared by several tests is laneruns.ts's severity.
const STATUS_LOOK: Record<Status, { color: string; faded: string }> = {
  success: { color: '#43a047', faded: '#d7e9d8' },
  fail: { color: '#e53935', faded: '#f6cfce' },
  skip: { color: '#90a4ae', faded: '#e3e8eb' },
  xfail: { color: '#8d6e63', faded: '#e2d9d6' },
  uxsuccess: { color: '#8e24aa', faded: '#e4d0ea' },
  inprogress: { color: '#fb8c00', faded: '#fde3c2' },
};
/** Colours by status code (index in STATUSES). */
export const STATUS_COLORS = STATUSES.map((s) => STATUS_LOOK[s].color);
const FADED_COLORS = STATUSES.map((s) => STATUS_LOOK[s].faded);
// Lane heights when fitting the available height (px).
const LANE_MIN = 12, LANE_MAX = 40;
// The shortest extent: a run of a few milliseconds still fills the width.
const MIN_EXTENT = 1;
const IDLE_COLOR = '#fff3e0';
// Colour of each run level (laneruns.ts), as CSS and as a pixel (pixels.ts); a
// seam is its level's colour halfway to white.
const LEVEL_CSS = Array.from({ length: LEVELS + 1 }, (_x, l) =>
  l ? (levelFaded(l) ? FADED_COLORS : STATUS_COLORS)[levelStatus(l)] : IDLE_COLOR);
const LEVEL_PIXEL = new Uint32Array(SEAM + LEVELS + 1);
LEVEL_CSS.forEach((css, l) => {
  LEVEL_PIXEL[l] = rgbPixel(css);
  LEVEL_PIXEL[l | SEAM] = mix(rgbPixel(css), rgbPixel('#ffffff'), 0.5);
});

/** The overview's lanes as pixels: ``top[y * width + x]`` is 1 + the level of the most
 *  severe run on that pixel (0: none). Lanes thinner than a pixel share rows, and a
 *  row shows the most severe of them: a failure never disappears. */
class OverviewPixels {
  readonly top: Uint8Array;
  private lh: number;

  constructor(readonly width: number, readonly height: number, lanes: number) {
    this.top = new Uint8Array(width * height);
    this.lh = height / Math.max(1, lanes);
  }

  /** Lane ``lane``'s runs (``n`` of them in ``r``: x0, x1, level), seams left out. */
  add(r: ArrayLike<number>, n: number, lane: number): void {
    const { top, width, height, lh } = this;
    const y0 = Math.min(height - 1, Math.floor(lane * lh));
    const y1 = Math.min(height, Math.max(y0 + 1, Math.ceil(lane * lh + Math.max(1, lh - 0.5))));
    for (let j = 0; j < 3 * n; j += 3) {
      const level = (r[j + 2] & ~SEAM) + 1;
      const x0 = Math.max(0, r[j]), x1 = Math.min(width, r[j + 1]);
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        for (let x = row + x0; x < row + x1; x++) if (top[x] < level) top[x] = level;
      }
    }
  }

  image(): ImageData {
    const img = new ImageData(this.width, this.height);
    const px = new Uint32Array(img.data.buffer);
    const top = this.top;
    for (let i = 0; i < top.length; i++) if (top[i]) px[i] = LEVEL_PIXEL[top[i] - 1];
    return img;
  }
}

export interface TimelineHooks {
  onSelect(test: Test | null): void;
  onView(t0: number, t1: number): void;
  onCursor(t: number | null): void;
}

export class Timeline {
  readonly el: HTMLElement;
  t0: number;
  t1: number;
  selected: Test | null = null;
  hovered: Test | null = null;
  match: Uint8Array | null = null;
  /** Ends a drag under way (removes its window listeners); see dispose(). */
  private stopDrags: (() => void)[] = [];
  private canvas = h('canvas', { cls: 'lanes' });
  private overview = h('canvas', { cls: 'overview' });
  private tip = h('div', { cls: 'tip' });
  private overviewCache: HTMLCanvasElement | null = null;
  /** the overview's pixels, left by a draw of the lanes that showed its window */
  private overviewRuns: OverviewPixels | null = null;
  private width = 800;
  private laneH = 16;
  private frame = 0;
  private runs = new LaneRuns();
  private levels: LevelCache;
  /** One row of pixels per lane (device pixels), and the canvas it is put on; kept while the size stays. */
  private bars: ImageData | null = null;
  private barPixels = new Uint32Array(0);
  private barCanvas = document.createElement('canvas');
  private barsFor = new DrawnFor();
  /** The label column, drawn again only when the layout changes (see labelColumn). */
  private labels: HTMLCanvasElement | null = null;
  private labelsKey = '';
  lastDrawMs = 0;
  /** ticks on the axis in the last draw (the tests check that it stays bounded) */
  ticksDrawn = 0;
  /** axis labels of the last draw, with their boxes (the tests check they never overlap) */
  axisLabels: { text: string; x: number; w: number }[] = [];

  constructor(private run: Run, private hooks: TimelineHooks) {
    this.levels = new LevelCache(run.lanes, run.tests, run.codes ?? null);
    this.t0 = run.core.start;
    this.t1 = Math.max(run.core.end, run.core.start + MIN_EXTENT);
    this.laneH = Math.max(10, Math.min(22, Math.floor(420 / Math.max(1, run.lanes.length))));
    this.el = h('div', { cls: 'timeline' }, this.overview, h('div', { cls: 'lanes-wrap' }, this.canvas, this.tip));
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'timeline: one lane per worker, tests coloured by status');
    this.overview.setAttribute('aria-label', 'overview of the whole run; drag to choose the window');
    this.bindMain();
    this.bindOverview();
  }

  /** Lay out for the container's width and, when given, the height the lanes may
   *  take (they share it, within LANE_MIN..LANE_MAX each), and draw. */
  /** Leave nothing behind: a drag under way loses its window listeners. */
  dispose(): void {
    for (const stop of this.stopDrags) stop();
  }

  resize(width: number, height?: number): void {
    this.width = Math.max(300, Math.floor(width));
    if (height !== undefined && isFinite(height)) {
      const fit = Math.floor((height - AXIS_H - 2) / Math.max(1, this.run.lanes.length));
      this.laneH = Math.max(LANE_MIN, Math.min(LANE_MAX, fit));
    }
    this.overviewCache = null;
    this.draw();
  }

  get laneHeight(): number {
    return this.laneH;
  }

  get plotWidth(): number {
    return this.width - GUTTER;
  }

  xOf(t: number): number {
    return GUTTER + ((t - this.t0) / (this.t1 - this.t0)) * this.plotWidth;
  }

  timeOf(x: number): number {
    return this.t0 + ((x - GUTTER) / this.plotWidth) * (this.t1 - this.t0);
  }

  /** Offsets on the axis and in the URL count from here: the start of the run without outliers. */
  get origin(): number {
    return this.run.core.start;
  }

  /** The run without its outliers (what a double-click on the overview shows). */
  home(): void {
    this.setView(this.run.core.start, Math.max(this.run.core.end, this.run.core.start + MIN_EXTENT));
  }

  setView(t0: number, t1: number, notify = true): void {
    // Anywhere in the whole run, outliers included (they can be looked at), and
    // never before its start or after its end: no empty time around it.
    const full = Math.max(this.run.end - this.run.start, MIN_EXTENT);
    const span = Math.min(Math.max(t1 - t0, Math.min(20, full)), full);
    t0 = Math.max(this.run.start, Math.min(t0, this.run.start + full - span));
    t1 = t0 + span;
    if (t0 === this.t0 && t1 === this.t1) return;
    this.t0 = t0;
    this.t1 = t1;
    this.schedule();
    if (notify) this.hooks.onView(t0, t1);
  }

  zoom(factor: number, at: number): void {
    const t0 = at - (at - this.t0) * factor;
    this.setView(t0, t0 + (this.t1 - this.t0) * factor);
  }

  setMatch(match: Uint8Array | null): void {
    this.match = match;
    this.overviewCache = null;
    this.schedule();
  }

  select(test: Test | null, reveal = true): void {
    this.selected = test;
    if (test && reveal && (test.end < this.t0 || test.start > this.t1)) {
      const span = this.t1 - this.t0;
      const mid = (test.start + test.end) / 2;
      this.setView(mid - span / 2, mid + span / 2);
    }
    this.schedule();
  }

  /** Previous (-1) or next (+1) test on the selected test's worker. */
  step(dir: number): Test | null {
    const t = this.selected;
    if (!t) return null;
    const lane = this.run.lanes[t.lane];
    let i = -1;
    for (let k = 0; k < lane.tests.length; k++) if (lane.tests[k] === t.idx) i = k;
    const j = i + dir;
    if (i < 0 || j < 0 || j >= lane.tests.length) return null;
    return this.run.tests[lane.tests[j]];
  }

  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw(): void {
    const began = performance.now();
    // The lanes first: when they show the overview's window at its width (the first
    // draw), their runs are the overview's too, and every test is visited once.
    this.drawLanes();
    this.drawOverview();
    this.overviewRuns = null;
    this.lastDrawMs = performance.now() - began;
  }

  private get lanesHeight(): number {
    return AXIS_H + this.run.lanes.length * this.laneH + 2;
  }

  private drawLanes(): void {
    const ctx = sizeCanvas(this.canvas, this.width, this.lanesHeight);
    ctx.clearRect(0, 0, this.width, this.lanesHeight);
    ctx.drawImage(this.labelColumn(), 0, AXIS_H, GUTTER, this.lanesHeight - AXIS_H);
    ctx.font = '11px system-ui, sans-serif';
    this.drawAxis(ctx);
    this.paintPlot(ctx);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, AXIS_H, this.plotWidth, this.lanesHeight - AXIS_H);
    ctx.clip();
    for (const [t, color, w] of [[this.hovered, '#555', 1], [this.selected, '#000', 2]] as [Test | null, string, number][]) {
      if (!t) continue;
      const x0 = Math.max(this.xOf(t.start), GUTTER - 4);
      const x1 = Math.min(Math.max(this.xOf(t.end), x0 + 2), this.width + 4);
      const y = AXIS_H + t.lane * this.laneH + 1;
      ctx.strokeStyle = color;
      ctx.lineWidth = w;
      ctx.strokeRect(x0 - 1, y, x1 - x0 + 2, this.laneH - 2);
    }
    ctx.restore();
  }

  /** Lane backgrounds and worker names: they change only with the lane height and the pixel ratio. */
  private labelColumn(): HTMLCanvasElement {
    const dpr = window.devicePixelRatio || 1;
    const key = `${this.laneH} ${dpr}`;
    if (this.labels && key === this.labelsKey) return this.labels;
    const c = this.labels || document.createElement('canvas');
    const ctx = sizeCanvas(c, GUTTER, this.lanesHeight - AXIS_H);
    ctx.clearRect(0, 0, GUTTER, this.lanesHeight - AXIS_H);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    this.run.lanes.forEach((lane, i) => {
      const y = i * this.laneH;
      ctx.fillStyle = i % 2 ? '#fafafa' : '#f2f2f2';
      ctx.fillRect(0, y, GUTTER - 4, this.laneH);
      ctx.fillStyle = '#333';
      ctx.fillText(lane.label, 4, y + this.laneH / 2);
    });
    this.labels = c;
    this.labelsKey = key;
    return c;
  }

  /**
   * The lanes' plot: per lane, the run's span painted "idle" (gaps between tests stay
   * visible), then its runs of columns (see laneruns.ts), written as one row of
   * pixels per lane and stretched to the lane's height: a few draws per lane
   * instead of one per test, and a small image to put instead of the whole plot.
   */
  private paintPlot(ctx: CanvasRenderingContext2D): void {
    const dpr = window.devicePixelRatio || 1;
    const lanes = this.run.lanes;
    const w = Math.round(this.plotWidth * dpr);
    if (w <= 0 || !lanes.length) return;
    if (!this.bars || this.bars.width !== w || this.bars.height !== lanes.length) {
      this.bars = new ImageData(w, lanes.length);
      this.barPixels = new Uint32Array(this.bars.data.buffer);
      this.barCanvas.width = w;
      this.barCanvas.height = lanes.length;
    }
    // A hover or a selection leaves the bars as they were.
    if (this.barsFor.changed(this.t0, this.t1, w, lanes.length, this.match)) {
      const px = this.barPixels, runs = this.runs;
      px.fill(0);
      const k = w / (this.t1 - this.t0);
      const [s0, s1] = this.overviewExtent;
      const share = !this.overviewCache && w === this.plotWidth && this.t0 === s0 && this.t1 === s1;
      const shared = share ? this.overviewRuns = this.overviewPixels() : null;
      lanes.forEach((lane, i) => {
        const n = runs.build(lane, this.levels.get(i, this.match), this.run.tests, this.match, this.t0, k, w);
        const r = runs.runs;
        for (let j = 0; j < 3 * n; j += 3) px.fill(LEVEL_PIXEL[r[j + 2]], i * w + r[j], i * w + r[j + 1]);
        shared?.add(r, n, i);
      });
      this.barCanvas.getContext('2d')!.putImageData(this.bars, 0, 0);
    }
    const idle0 = Math.max(GUTTER, this.xOf(this.run.core.start));
    const idle1 = Math.min(this.width, this.xOf(this.run.core.end));
    const lh = this.laneH;
    ctx.fillStyle = IDLE_COLOR;
    ctx.imageSmoothingEnabled = false;
    lanes.forEach((_lane, i) => {
      const y = AXIS_H + i * lh;
      if (idle1 > idle0) ctx.fillRect(idle0, y + 1, idle1 - idle0, lh - 2);
      ctx.drawImage(this.barCanvas, 0, i, w, 1, GUTTER, y + 2, this.plotWidth, lh - 4);
    });
  }

  private drawAxis(ctx: CanvasRenderingContext2D): void {
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#ddd';
    ctx.textBaseline = 'top';
    const ticks = axisTicks(this.t0, this.t1, this.origin, this.run.core.end, this.plotWidth);
    let free = GUTTER;  // labels never overlap: one that would is left out
    const labels: { text: string; x: number; w: number }[] = [];
    for (const tick of ticks) {
      const x = this.xOf(tick.t);
      if (x < GUTTER) continue;
      ctx.fillRect(x, AXIS_H - 5, 1, 5);
      const w = ctx.measureText(tick.label).width;
      if (x >= free && x + 2 + w <= this.width) {
        ctx.fillText(tick.label, x + 2, 2);
        free = x + w + 8;
        labels.push({ text: tick.label, x: x + 2, w });
      }
    }
    this.ticksDrawn = ticks.length;
    this.axisLabels = labels;
  }

  private drawOverview(): void {
    const ctx = sizeCanvas(this.overview, this.width, OVERVIEW_H);
    const [s0, s1] = this.overviewExtent;
    const k = this.plotWidth / (s1 - s0);
    if (!this.overviewCache) {
      const c = document.createElement('canvas');
      const octx = sizeCanvas(c, this.width, OVERVIEW_H);
      octx.fillStyle = '#eee';
      octx.fillRect(GUTTER, 0, this.plotWidth, OVERVIEW_H);
      this.drawOverviewLanes(octx, s0, k);
      octx.fillStyle = '#333';
      octx.font = '11px system-ui, sans-serif';
      octx.textBaseline = 'middle';
      octx.fillText('overview', 4, OVERVIEW_H / 2);
      this.drawOutlierMarks(octx, s0);
      this.overviewCache = c;
    }
    ctx.clearRect(0, 0, this.width, OVERVIEW_H);
    ctx.drawImage(this.overviewCache, 0, 0, this.width, OVERVIEW_H);
    // Clamped to the strip: a window on an outlier lies far outside it.
    // Clamped to the plot too: the window never spills into the label column.
    const clamp = (x: number) => Math.max(GUTTER, Math.min(this.width - 1, x));
    const b0 = clamp(GUTTER + (this.t0 - s0) * k), b1 = clamp(GUTTER + (this.t1 - s0) * k);
    ctx.fillStyle = 'rgba(255,255,255,0.6)';
    ctx.fillRect(GUTTER, 0, Math.max(0, b0 - GUTTER), OVERVIEW_H);
    ctx.fillRect(b1, 0, Math.max(0, this.width - b1), OVERVIEW_H);
    ctx.strokeStyle = '#1565c0';
    ctx.lineWidth = 2;
    ctx.strokeRect(b0 + 1, 1, Math.max(2, Math.min(b1, this.width - 1) - b0 - 1), OVERVIEW_H - 2);
  }

  private overviewPixels(): OverviewPixels {
    return new OverviewPixels(Math.max(1, Math.round(this.plotWidth)), OVERVIEW_H - 4, this.run.lanes.length);
  }

  /** Every lane's runs (no seams) as one image: a few hundred thousand pixel writes
   *  at most, where a rect per run was tens of thousands of draws at 100,000 tests. */
  private drawOverviewLanes(ctx: CanvasRenderingContext2D, s0: number, k: number): void {
    let pixels = this.overviewRuns;
    if (!pixels) {
      const built = pixels = this.overviewPixels();
      this.run.lanes.forEach((lane, i) => {
        const n = this.runs.build(lane, this.levels.get(i, this.match), this.run.tests, this.match, s0, k, built.width);
        built.add(this.runs.runs, n, i);
      });
    }
    const c = document.createElement('canvas');
    c.width = pixels.width;
    c.height = pixels.height;
    c.getContext('2d')!.putImageData(pixels.image(), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(c, GUTTER, 2, this.plotWidth, pixels.height);
  }

  /** The overview's time range: the run without outliers. */
  private get overviewExtent(): [number, number] {
    const c = this.run.core;
    return [c.start, Math.max(c.end, c.start + MIN_EXTENT)];
  }

  /** A red mark with a count at each edge of the overview that has outliers beyond it. */
  private drawOutlierMarks(ctx: CanvasRenderingContext2D, s0: number): void {
    const before = this.run.outliers.filter((t) => t.start < s0).length;
    const after = this.run.outliers.length - before;
    ctx.font = 'bold 11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (const [n, left] of [[before, true], [after, false]] as [number, boolean][]) {
      if (!n) continue;
      const label = left ? `◀ ${n}` : `${n} ▶`;
      const w = ctx.measureText(label).width + 8;
      const x = left ? GUTTER : this.width - w;
      ctx.fillStyle = 'rgba(198,40,40,0.9)';
      ctx.fillRect(x, OVERVIEW_H / 2 - 8, w, 16);
      ctx.fillStyle = '#fff';
      ctx.fillText(label, x + 4, OVERVIEW_H / 2);
    }
  }

  private laneAt(y: number): Lane | null {
    const i = Math.floor((y - AXIS_H) / this.laneH);
    return i >= 0 && i < this.run.lanes.length ? this.run.lanes[i] : null;
  }

  private hitTest(x: number, y: number): Test | null {
    const lane = this.laneAt(y);
    if (!lane || x < GUTTER) return null;
    const tol = (3 * (this.t1 - this.t0)) / this.plotWidth;
    return testAt(this.run, lane, this.timeOf(x), tol);
  }

  private bindMain(): void {
    const c = this.canvas;
    let drag: { x: number; t0: number; t1: number; moved: boolean } | null = null;
    // The window hears the end of a drag (the button may be let go outside the
    // canvas) only while one is under way: an idle timeline holds no window listener.
    const end = () => {
      window.removeEventListener('mouseup', end);
      setTimeout(() => (drag = null));
    };
    c.addEventListener('mousedown', (e) => {
      drag = { x: e.offsetX, t0: this.t0, t1: this.t1, moved: false };
      window.addEventListener('mouseup', end);
    });
    this.stopDrags.push(() => window.removeEventListener('mouseup', end));
    c.addEventListener('mousemove', (e) => {
      if (drag && (e.buttons & 1)) {
        const dx = e.offsetX - drag.x;
        if (Math.abs(dx) > 3) drag.moved = true;
        if (drag.moved) {
          const dt = (dx / this.plotWidth) * (drag.t1 - drag.t0);
          this.setView(drag.t0 - dt, drag.t1 - dt);
        }
      }
      const t = this.hitTest(e.offsetX, e.offsetY);
      this.hooks.onCursor(e.offsetX >= GUTTER ? this.timeOf(e.offsetX) : null);
      if (t !== this.hovered) {
        this.hovered = t;
        this.schedule();
      }
      this.showTip(t, e.offsetX, e.offsetY);
    });
    c.addEventListener('mouseleave', () => {
      this.hovered = null;
      this.tip.classList.remove('on');
      this.hooks.onCursor(null);
      this.schedule();
    });
    c.addEventListener('click', (e) => {
      if (drag && drag.moved) return;
      const t = this.hitTest(e.offsetX, e.offsetY);
      if (t) this.hooks.onSelect(t);
    });
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const dt = (e.deltaX / this.plotWidth) * (this.t1 - this.t0);
        this.setView(this.t0 + dt, this.t1 + dt);
      } else {
        this.zoom(Math.exp(e.deltaY * 0.0015), this.timeOf(Math.max(GUTTER, e.offsetX)));
      }
    }, { passive: false });
  }

  private bindOverview(): void {
    const c = this.overview;
    let mode: { kind: 'pan' | 'brush'; x: number; t0: number; t1: number } | null = null;
    const timeAt = (x: number) => {
      const [s0, s1] = this.overviewExtent;
      return s0 + ((x - GUTTER) / this.plotWidth) * (s1 - s0);
    };
    c.addEventListener('mousedown', (e) => {
      const t = timeAt(e.offsetX);
      mode = t >= this.t0 && t <= this.t1
        ? { kind: 'pan', x: e.offsetX, t0: this.t0, t1: this.t1 }
        : { kind: 'brush', x: e.offsetX, t0: t, t1: t };
      e.preventDefault();
      window.addEventListener('mousemove', move);
      window.addEventListener('mouseup', up);
    });
    const move = (e: MouseEvent) => {
      if (!mode) return;
      const x = e.clientX - c.getBoundingClientRect().left;
      if (mode.kind === 'pan') {
        const dt = timeAt(x) - timeAt(mode.x);
        this.setView(mode.t0 + dt, mode.t1 + dt);
      } else {
        const t = timeAt(x);
        if (Math.abs(x - mode.x) > 2) this.setView(Math.min(mode.t0, t), Math.max(mode.t0, t));
      }
    };
    // Window listeners only while the button is down (see bindMain).
    const up = (e: MouseEvent) => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      if (mode && mode.kind === 'brush') {
        const x = e.clientX - c.getBoundingClientRect().left;
        if (Math.abs(x - mode.x) <= 2) {
          // A click on the overview centres the current window there.
          const span = this.t1 - this.t0;
          this.setView(mode.t0 - span / 2, mode.t0 + span / 2);
        }
      }
      mode = null;
    };
    this.stopDrags.push(() => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    });
    c.addEventListener('dblclick', () => this.home());
  }

  private showTip(t: Test | null, x: number, y: number): void {
    if (!t) {
      this.tip.classList.remove('on');
      return;
    }
    this.tip.textContent = '';
    this.tip.append(
      h('div', { cls: 'tip-name' }, t.name),
      h('div', null, `${STATUSES[t.status]} · ${formatDuration(t.duration)} · ${this.run.lanes[t.lane].label}`),
      h('div', null, t.outlier ? `started ${formatDate(t.start)} (far outside the run)`
        : `started ${formatAt(t.start, true)}`),
    );
    this.tip.classList.add('on');
    const left = Math.min(x + 14, this.width - 360);
    this.tip.style.left = Math.max(0, left) + 'px';
    this.tip.style.top = y + 16 + 'px';
  }
}
