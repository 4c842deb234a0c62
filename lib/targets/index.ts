export { entropyBits, klNats, outlierMassBound } from './maths.js';
export { TargetError } from '../model/target-error.js';
export { validateTargets } from './validate.js';
export { vanilla, outlier, lm, randomPrompt } from './kinds.js';
export { shuffle, migrate } from './transforms.js';
export { synthesizePlans } from './plans.js';
export { TargetStore } from './store.js';
export { formatBits, planEntry, TARGET_REGISTRY, type TargetKindDef, type TargetPlan } from './registry.js';
export type { SynthesisedTargets, TargetRowMeta } from './make.js';
export {
  planRequest,
  synthesizeTargets,
  type TargetSet,
  type TargetMeta,
  type SynthesisRequest,
} from './synthesize.js';
export { POS_TAGS, tagOfText, tagVocabulary, posUniform, type PosTag } from './pos.js';
export { readTargetFile, targetFileCount, type TargetFile } from './file.js';
