// headBound() options, validated once here, with the defaults of defaults.ts; every field reaches
// the native solver explicitly.
import { z } from 'zod';

import { IssuesError, optionIssuesMessage, type SpecIssue, zodIssues } from '../spec/errors.js';
import { option, said } from '../io/said.js';
import { BOUND_DEFAULTS as D } from './defaults.js';
import {
  flag,
  nonNegativeInt,
  oneOf,
  positiveInt,
  positiveNumber,
  shown,
  signalProblem,
  unknownKeysError,
} from '../spec/fields.js';

const fields = {
  /** stop when the Frank–Wolfe gap (the certificate) is below this, nats */
  tolNats: positiveNumber().default(D.tolNats),
  maxIterations: positiveInt().default(D.maxIterations),
  /** also the softmax bottleneck alone (no norm): an unconstrained search from the head bound's point */
  bottleneck: flag().default(D.bottleneck),
  /** L-BFGS iterations of the bottleneck search (and again of its restriction to a target's support) */
  bottleneckIterations: positiveInt().default(D.bottleneckIterations),
  /**
   * a stationary point: the gradient norm below this — along the sphere for the sphere value,
   * in R^d for the bottleneck (which also stops once its value is below tolNats)
   */
  gradTol: positiveNumber().default(D.gradTol),
  /** the sphere value (the set a norm outputs) where the ball's optimum is inside */
  sphere: flag().default(D.sphere),
  /** random starts of the sphere search, beside the ball optimum's direction and Wᵀp's (each start also runs from its antipode) */
  sphereRandomStarts: nonNegativeInt().default(D.sphereRandomStarts),
  /** targets solved together: 'auto' is 64 on a CPU, 256 on a GPU; target i lies in group floor(i / batch) */
  batch: z
    .union([positiveInt(), z.literal('auto')], {
      error: (iss) => `expected 'auto' or a positive integer, got ${shown(iss.input)}`,
    })
    .default(D.batch),
  /**
   * instead of batch, each target's group: a run of equal numbers is solved together and alone,
   * its sphere search seeded by the number (a sweep's bounds are its plan's groups: lib/bound/groups.ts)
   */
  groups: z
    .array(
      z
        .number({ error: (iss) => `expected a group number, got ${shown(iss.input)}` })
        .int({ error: (iss) => `must be an integer, got ${shown(iss.input)}` })
        .min(0, { error: (iss) => `must be >= 0, got ${shown(iss.input)}` })
        .max(2 ** 31 - 1, { error: (iss) => `must be below 2^31, got ${shown(iss.input)}` }),
      { error: 'expected an array of group numbers, one per target' },
    )
    .refine((g) => g.every((x, i) => i === 0 || x >= g[i - 1]), 'must be in non-decreasing order')
    .readonly() // a script's `as const` list is taken as it is
    .optional(),
  /** the solver's arithmetic: float64 keeps the certificate meaningful at 1e-5 nats */
  dtype: oneOf(['float64', 'float32']).default(D.dtype),
  /** return the optimal final-norm output s and the distribution softmax(W s + b) it gives */
  returnPoint: flag().default(D.returnPoint),
  /** ids for the records (default: the target set's ids, or target:<i>) */
  targetIds: z.array(z.string()).readonly().optional(),
  /** stop the solve (within one pass over the head) and reject with an AbortError */
  signal: z
    .custom<AbortSignal>((v) => signalProblem(v) === undefined, { error: (i) => signalProblem(i.input) })
    .optional(),
};

export const BoundOptionsSchema = z.strictObject(fields, { error: unknownKeysError(Object.keys(fields)) });

export type BoundOptions = z.input<typeof BoundOptionsSchema>;
export type BoundSettings = z.output<typeof BoundOptionsSchema>;

export class BoundOptionsError extends IssuesError {
  override name = 'BoundOptionsError';

  telling(issues: readonly SpecIssue[]): BoundOptionsError {
    return boundOptionsError(issues);
  }
}

/** What is wrong with headBound() options, each by its field's path ('' for the options as a whole); empty when nothing is. */
export function boundOptionIssues(input: unknown): SpecIssue[] {
  const given = input as { batch?: unknown; groups?: unknown } | undefined;
  if (given?.batch !== undefined && given.groups !== undefined) {
    const message = said`give ${option('batch')} or ${option('groups')}, not both`;
    return [{ path: 'batch', message: String(message), said: message }];
  }
  const r = BoundOptionsSchema.safeParse(input ?? {});
  return r.success ? [] : zodIssues(r.error);
}

/** The error telling `issues`, each on a line of its own by its path. */
export const boundOptionsError = (issues: readonly SpecIssue[]): BoundOptionsError =>
  new BoundOptionsError(optionIssuesMessage('invalid headBound options', issues), issues);

export function parseBoundOptions(input: unknown): BoundSettings {
  const issues = boundOptionIssues(input);
  if (issues.length > 0) throw boundOptionsError(issues);
  return BoundOptionsSchema.parse(input ?? {});
}
