// A study report's captions read as sentences: a figure beyond the paper is said to be so, with
// what it shows (it read "the paper's beyond the paper"); what the paper found and what this run
// shows is said once per study, above its figures (it was repeated under every figure); and
// finding 6 counts the targets and methods of a methods study (it counted their pairs as
// targets). A real smoke study of random:micro through the built CLI.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('study-captions');
let captions: string[];
let findings: string[];
let setups: string[];

beforeAll(() => {
  const r = spawnSync(
    process.execPath,
    [cli, 'study', 'methods', '--scale', 'smoke', '-m', 'random:micro', '-q', '-o', 'out'],
    { cwd: dir, encoding: 'utf8', timeout: 300_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
  const text = (re: RegExp) => [...html.matchAll(re)].map((m) => m[1].replace(/<[^>]+>/g, ''));
  captions = text(/<figcaption>(.*?)<\/figcaption>/gs);
  findings = text(/<p class="findings">(.*?)<\/p>/gs);
  setups = text(/<section id="study-[^"]*"><h2>[^<]*<\/h2>\n<p>(.*?)<\/p>/gs);
}, 300_000);

describe('study report captions', () => {
  it("give the paper's setup as the paper's, where a smoke run's own sizes differ", () => {
    expect(setups).toHaveLength(1);
    expect(setups[0]).toMatch(
      /^The paper \(this run is at smoke scale, with fewer targets, inits and epochs: its specs are below the figures\): Fig\. 4: .* on vanilla targets\. Optimiser: AdamW/,
    );
  });

  it("cite the paper's figure, or say the figure is beyond the paper and what it shows", () => {
    const bounds = captions.find((c) => c.startsWith('Where the difficulty comes from'))!;
    expect(bounds).toMatch(
      /^Where the difficulty comes from: .*\(methods; beyond the paper\)\. No prompt can go below the certified ball bound, nor, where .*\(trained models; small random weights can leave a prompt just inside\), below the sphere/,
    );
    expect(captions.find((c) => c.startsWith('Difficulty vs target entropy'))).toMatch(
      /\(methods; the paper's Fig\. 1, 4, 6, 11\)\. SVG/,
    );
    for (const c of captions) expect(c).not.toMatch(/the paper's beyond|The paper:|This run:/);
  });

  it("say once, above the study's figures, what the paper found and this run shows, finding 6 over the targets and the methods", () => {
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatch(/^The paper: Soft prompts/);
    expect(findings[0]).toMatch(
      /This run: .*6 \(methods · random:micro\): measured — over 6 targets × 3 methods: mean min KL/,
    );
  });
});
