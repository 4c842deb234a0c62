// The public library entry: what TypeScript users script against.
export { loadModel, type LoadOptions } from './model/load.js';
export { Model, type ModelInfo, type ForwardInput } from './model/model.js';
export { PRESETS, presetNames } from './model/presets.js';
export { configFromHf, ModelConfigError, SUPPORTED_MODEL_TYPES } from './model/config.js';
export { native } from './native/index.js';
export { buildInfo } from './model/build.js';
