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

// The timeline decoding worker's entry point (build.mjs embeds its bundle in app.js,
// which starts it from a Blob URL: the site stays one static folder, file:// too).
import { DecodeMessage, DecodeReply, decodeTimeline, fetchOr, pack } from './timelinedecode';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<DecodeMessage>) => void) | null;
  postMessage(msg: DecodeReply, transfer?: Transferable[]): void;
};

// The bytes of requests whose file the page fetched already, as they come.
const bytesFor = new Map<number, (b: ArrayBuffer | null) => void>();

scope.onmessage = async (e) => {
  const msg = e.data;
  if ('bytes' in msg) {
    bytesFor.get(msg.n)?.(msg.bytes);
    bytesFor.delete(msg.n);
    return;
  }
  const { n, req } = msg;
  const bytes = msg.follows ? new Promise<ArrayBuffer | null>((resolve) => bytesFor.set(n, resolve)) : null;
  try {
    // Phase ends on the clock of the page (both count from the epoch's timeOrigin).
    const phases: [string, number][] = [];
    const phase = (name: string) => phases.push([name, performance.timeOrigin + performance.now()]);
    // When the request came: before it, the worker was starting.
    phase('received');
    const cols = await decodeTimeline(req, fetchOr(bytes), phase);
    phase('columns');
    const { packed, transfer } = pack(cols);
    phase('packed');
    scope.postMessage({ n, ok: true, packed, phases }, transfer);
  } catch (err) {
    scope.postMessage({ n, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
