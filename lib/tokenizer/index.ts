export {
  hasTokenizerFiles,
  loadTokenizer,
  TOKENIZER_PRESETS,
  type TokenizerPreset,
  type TokenizerSource,
} from './load.js';
export { TokenizerError, type Tokenizer } from './types.js';
export { tokenizerFromJson } from './hf.js';
export { byteLevelBpeJson } from './gpt2.js';
export { bannedTokenIds, isPrintableText, type BanOptions } from './banned.js';
export { tokenizerForModel } from './fit.js';
export { vocabularyTexts, vocabularyTextsInSlices } from './vocabulary.js';
