// Figures → SVG. Rendering takes a few hundred milliseconds of CPU per sweep, so it runs in a
// worker thread (render-worker.ts) and the caller's event loop stays free.
import { WorkerClient, workerUrl } from '../worker/client.js';
import type { Figure } from './figure.js';

const renderer = new WorkerClient(() => workerUrl('./render-worker.js', import.meta.url));

export function renderSvg(figure: Figure): Promise<string> {
  return renderer.call<string>('svg', figure.spec);
}
