import { native } from '../native/index.js';
import type { BuildInfo } from '../native/types-model.js';

/** What the native addon was built against and how many threads it uses. */
export function buildInfo(): BuildInfo {
  return native().buildInfo();
}
