// Parses a model argument that is not a local directory: "name", "org/name" or either with
// "@revision" (a branch, tag or 40-hex commit), the spelling `huggingface-cli` users know.
import { HubError } from './errors.js';

export interface RepoRef {
  /** "org/name" or "name" */
  repo: string;
  /** branch, tag or commit; "main" when not given */
  revision: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const COMMIT = /^[0-9a-f]{40}$/;

/** Looks like a path the user meant as a directory, not a repo id. */
export function looksLikePath(arg: string): boolean {
  return (
    /^(\.{1,2}|~)?[\\/]/.test(arg) ||
    arg.startsWith('./') ||
    arg.startsWith('../') ||
    arg.includes('\\') ||
    arg.split('@')[0].split('/').length > 2
  );
}

export function parseRepoRef(arg: string): RepoRef {
  const at = arg.indexOf('@');
  const repo = at < 0 ? arg : arg.slice(0, at);
  const revision = at < 0 ? 'main' : arg.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length > 2 || !parts.every((p) => PART.test(p) && !p.includes('..') && !p.endsWith('.'))) {
    throw new HubError(
      'bad-argument',
      `'${arg}' is neither an existing directory nor a Hugging Face repo id ("org/name" or "org/name@revision")`,
    );
  }
  if (revision.length === 0 || revision.includes('..') || revision.startsWith('/') || /[\s\\]/.test(revision)) {
    throw new HubError('bad-argument', `'${arg}': revision '${revision}' is not a branch, tag or commit`);
  }
  return { repo, revision };
}
