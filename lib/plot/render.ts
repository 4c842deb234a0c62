// Vega-Lite → SVG headlessly: vega's scenegraph rendered to a string, no browser and no canvas.

import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { Figure } from './figures.js';

export async function renderSvg(figure: Figure): Promise<string> {
  const { spec } = compile(figure.spec);
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
