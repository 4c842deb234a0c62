// promptText of hard prompts whose tokens are pieces of multi-byte characters (byte-level BPE:
// GPT-2's '日' is two tokens, 33768 then 98; Llama 3's '🦙' three). The text must be what the
// model reads, the bytes of each run of hard tokens decoded together, and valid UTF-8 for any
// Arrow reader; promptIds stay the exact ids.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadModel, runStudy, type Model } from '../lib/index.js';
import { loadTokenizer } from '../lib/tokenizer/load.js';
import { tune } from '../lib/tune/index.js';
import { scratchDir } from './helpers/cli.js';
import { randomTarget } from './helpers/dist.js';

describe('tokensText', () => {
  it('joins the bytes of tokens before decoding, where tokenText of each piece alone is U+FFFD', async () => {
    const gpt2 = await loadTokenizer({ preset: 'gpt2' });
    const ids = gpt2.encode('日本');
    expect(ids.map((id) => gpt2.tokenText(id)).join('')).toBe('\ufffd'.repeat(4));
    expect(gpt2.tokensText(ids)).toBe('日本');
    expect(gpt2.tokensText(ids.slice(1))).toBe('\ufffd本'); // a lone continuation byte stays U+FFFD
    const llama3 = await loadTokenizer({ preset: 'llama3' });
    const llama = llama3.encode(' the 🦙𝔘');
    expect(llama3.tokensText(llama)).toBe(' the 🦙𝔘');
    // no leading space is stripped, unlike decode of a SentencePiece text; one token as tokenText
    for (const id of [279, 9468, 128000]) expect(llama3.tokensText([id])).toBe(llama3.tokenText(id));
  });
});

describe('promptText of a hard prompt on tiny-gpt2', () => {
  let model: Model;
  // Only the two pieces of '日' may be used: every prompt is a string of them.
  const pieces = [33768, 98];
  let banned: Int32Array;
  beforeAll(async () => {
    model = await loadModel('random:tiny-gpt2');
    banned = Int32Array.from({ length: model.info.vocabSize }, (_, id) => id).filter((id) => !pieces.includes(id));
  });

  it('decodes each run of hard tokens as one text: 33768, 98 reads 日, as the tokenizer decodes it', async () => {
    const target = randomTarget(model.info.vocabSize, 3, 4);
    const rs = await tune(model, {
      targets: target,
      method: 'hard',
      prefixLength: 4,
      inits: 8,
      maxEpochs: 1,
      patience: 1,
      banned,
    });
    const tok = model.tokenizer!;
    let characters = 0;
    for (const r of rs) {
      const ids = Array.from(r.promptIds);
      expect(ids.every((id) => pieces.includes(id))).toBe(true);
      expect(r.promptText).toBe(tok.decode(ids)); // the tokenizer library's byte-level decode
      characters += (r.promptText!.match(/日/g) ?? []).length;
    }
    expect(characters).toBeGreaterThan(0); // some prompt holds the pair, so the joining was needed
  });

  it('a soft position splits the runs: bytes on either side of it are decoded apart', async () => {
    const rs = await tune(model, {
      targets: randomTarget(model.info.vocabSize, 4, 4),
      method: 'hybrid',
      pattern: 'HHSHH',
      inits: 3,
      maxEpochs: 2,
      patience: 2,
      banned,
    });
    const tok = model.tokenizer!;
    for (const r of rs) {
      const ids = Array.from(r.promptIds);
      expect(ids[2]).toBe(-1);
      expect(r.promptText).toBe(`${tok.decode(ids.slice(0, 2))}⟨soft⟩${tok.decode(ids.slice(3))}`);
    }
  });

  it('a hybrid of S only has no text, as a soft prompt has none (was ⟨soft⟩ five times)', async () => {
    const options = { targets: randomTarget(model.info.vocabSize, 5, 4), inits: 1, maxEpochs: 2 };
    const [hybrid] = await tune(model, { ...options, method: 'hybrid', pattern: 'SSSSS' });
    const [soft] = await tune(model, { ...options, method: 'soft' });
    expect(soft.promptText).toBeNull();
    expect(hybrid.promptText).toBeNull();
    expect(hybrid.klNats).toBe(soft.klNats);
  });
});

describe("a study report's best hard prompts", () => {
  it('list no hybrid of S only: it has no hard position (was a row of ids -1 -1 -1 -1 -1)', async () => {
    const dir = scratchDir('prompt-text-report');
    const studies = join(dir, 'studies');
    mkdirSync(studies, { recursive: true });
    const methods = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'studies', 'methods.json'), 'utf8'));
    const smoke = {
      ...methods.smoke,
      targets: [{ kind: 'vanilla', entropyBits: [2, 6] }],
      methods: [{ method: 'hybrid', pattern: 'SSSSS' }, { method: 'hard' }],
      maxEpochs: 3,
    };
    writeFileSync(join(studies, 'methods.json'), JSON.stringify({ ...methods, smoke }));
    const outDir = join(dir, 'out');
    await runStudy({
      studies: ['methods'],
      studiesDir: studies,
      models: ['random:micro'],
      scale: 'smoke',
      bound: false,
      outDir,
    });
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const table = html.slice(html.indexOf('<table class="prompts">'));
    expect(table).toContain('hard:k=1');
    expect(table).not.toContain('hybrid:SSSSS');
  });
});
