// The model a command runs on, loaded in a phase of its own (startup.ts): a load takes seconds to
// minutes (a hub download, the weights read, the model built in the addon), and a Ctrl-C in it
// ends the command saying so.
import { loadModel, type LoadOptions } from '../model/load.js';
import type { Model } from '../model/model.js';
import { during } from './startup.js';

export const commandModel = (name: string, options: LoadOptions): Promise<Model> =>
  during('interrupted while loading the model; nothing was done', () => loadModel(name, options));
