// One error type for every way a sweep spec can be wrong, so the CLI can map it to exit code 2
// and print each bad field on its own line.
import type { z } from 'zod';

import { Said } from '../io/said.js';

export interface SpecIssue {
  /** Dotted path of the field, e.g. `targets[0].entropyBits`; '' for the spec as a whole. */
  path: string;
  message: string;
  /** the message's parts where it names other fields as options, which the command line says as flags */
  said?: Said;
}

/**
 * An error listing its issues by field path, one a line under a heading. The command line says each
 * path as the flag that set it (lib/cli/flag-words.ts), telling the same issues in its own words.
 */
export abstract class IssuesError extends Error {
  constructor(
    message: string,
    /** the issues the message lists, by field path */
    readonly issues: readonly SpecIssue[] = [],
  ) {
    super(message);
  }

  /** The same error (its kind, heading and exit code) telling `issues` instead. */
  abstract telling(issues: readonly SpecIssue[]): IssuesError;
}

/** Options' issues under `heading` (`invalid tune options`), each on a line of its own by its path. */
export const optionIssuesMessage = (heading: string, issues: readonly SpecIssue[]): string =>
  `${heading}:\n${issues.map((i) => `  ${i.path || '(options)'}: ${i.message}`).join('\n')}`;

export class SpecError extends IssuesError {
  override name = 'SpecError';

  constructor(
    issues: readonly SpecIssue[],
    readonly heading = 'Invalid sweep spec',
  ) {
    super(`${heading}:\n${issues.map((i) => `  - ${i.path || '(spec)'}: ${i.message}`).join('\n')}`, issues);
  }

  telling(issues: readonly SpecIssue[]): SpecError {
    return new SpecError(issues, this.heading);
  }
}

/** A zod error's issues by path; one added by addSaidIssue keeps its parts. */
export function zodIssues(error: z.ZodError): SpecIssue[] {
  return error.issues.map((i) => {
    const said = (i as { params?: { said?: unknown } }).params?.said;
    return said instanceof Said
      ? { path: formatPath(i.path), message: i.message, said }
      : { path: formatPath(i.path), message: i.message };
  });
}

/** Adds an issue at `path` whose message names other fields (`option('batchSize')`): a script reads their names, the command line their flags. */
export function addSaidIssue(ctx: z.RefinementCtx, path: PropertyKey[], message: Said): void {
  ctx.addIssue({ code: 'custom', path, message: String(message), params: { said: message } });
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
