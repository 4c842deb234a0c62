// A study names its files after each model ('vanilla.tk_ok.arrow'): a local folder spelt two ways
// ('./tk/ok/' and 'tk/ok') would be two models, and a --resume spelt the other way would find
// none of the first run's files. Every spelling of one folder is given one name.
import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { PRESETS } from '../model/presets.js';

const RANDOM = 'random:';

/**
 * `model` with a local folder named as the path from the working folder ('tk/ok'), or as its
 * absolute path where it lies outside; a hub id, a preset or a path that is no folder is kept.
 */
export function studyModelName(model: string): string {
  if (!model.startsWith(RANDOM)) return folderName(model);
  const rest = folderName(model.slice(RANDOM.length));
  // 'random:micro' is the preset even where a folder 'micro' exists: that folder keeps its './'.
  return RANDOM + (Object.hasOwn(PRESETS, rest) && rest !== model.slice(RANDOM.length) ? `.${sep}${rest}` : rest);
}

function folderName(arg: string): string {
  if (!statSync(arg, { throwIfNoEntry: false })?.isDirectory()) return arg;
  const rel = relative(process.cwd(), resolve(arg));
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? resolve(arg) : rel;
}
