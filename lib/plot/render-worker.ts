// The figure worker: Vega-Lite → SVG headlessly (vega's scenegraph rendered to a string, no
// browser and no canvas). vega is loaded here only, never on the caller's thread.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { serveTasks } from '../worker/client.js';

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

void serveTasks({ svg });
