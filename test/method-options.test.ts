// The tune() options a sweep runs a method's rows with: a hard row's leave out what tune() refuses
// for a hard method (its soft-position options), a hybrid row's keep them, and the sweep settings
// hard rows are shared across are those same options' settings.
import { describe, expect, it } from 'vitest';

import { methodOptions, SETTINGS_IGNORED } from '../lib/run/method-options.js';
import { parseSpec } from '../lib/spec/index.js';
import { SOFT_POSITION_OPTIONS, tuneOptionIssues } from '../lib/tune/index.js';

const spec = parseSpec({ lr: 0.05, weightDecay: 0.01, init: 'gaussian', softPrompts: true, cudaGraph: false });

describe('methodOptions', () => {
  it("a hard row's options hold none of the soft-position options, and tune() takes them", () => {
    const hard = methodOptions(spec, { method: 'hard', pattern: 'HHHHH', candidates: 2 });
    for (const o of SOFT_POSITION_OPTIONS) expect(hard, o).not.toHaveProperty(o);
    expect(hard).toMatchObject({ method: 'hard', candidates: 2, prefixLength: 5, seed: 0, cudaGraph: false });
    expect(tuneOptionIssues(hard)).toEqual([]);
  });

  it("a hybrid row's keep them: its soft positions read them", () => {
    const hybrid = methodOptions(spec, { method: 'hybrid', pattern: 'HHSSS', candidates: 1 });
    expect(hybrid).toMatchObject({ lr: 0.05, weightDecay: 0.01, init: 'gaussian', returnSoftPrompt: true });
    expect(tuneOptionIssues(hybrid)).toEqual([]);
  });

  it('the sweep settings a hard row ignores are those of the soft-position options, and cudaGraph', () => {
    expect([...SETTINGS_IGNORED.hard].sort()).toEqual(['cudaGraph', 'init', 'lr', 'softPrompts', 'weightDecay']);
  });
});
