// One error type for every way a sweep spec can be wrong, so the CLI can map it to exit code 2
// and print each bad field on its own line.

export interface SpecIssue {
  /** Dotted path of the field, e.g. `targets[0].entropyBits`; '' for the spec as a whole. */
  path: string;
  message: string;
}

export class SpecError extends Error {
  readonly issues: SpecIssue[];

  constructor(
    issues: SpecIssue[],
    readonly heading = 'Invalid sweep spec',
  ) {
    super(`${heading}:\n${issues.map((i) => `  - ${i.path || '(spec)'}: ${i.message}`).join('\n')}`);
    this.name = 'SpecError';
    this.issues = issues;
  }
}

/** `['targets', 0, 'entropyBits']` → `targets[0].entropyBits`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
