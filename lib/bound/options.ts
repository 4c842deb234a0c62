// headBound() options, validated once here; every field reaches the native solver explicitly.
import { z } from 'zod';

import { oneOf, signalProblem, unknownKeysError } from '../spec/fields.js';

const positiveInt = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .positive(`${what} must be at least 1`);
const positive = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .refine((v) => Number.isFinite(v) && v > 0, `${what} must be a finite number above 0`);

const fields = {
  /** stop when the Frank–Wolfe gap (the certificate) is below this, nats */
  tolNats: positive('tolNats').default(1e-5),
  maxIterations: positiveInt('maxIterations').default(3000),
  /** also the softmax bottleneck alone (no norm): an unconstrained search from the head bound's point */
  bottleneck: z.boolean({ error: 'bottleneck must be true or false' }).default(true),
  /** L-BFGS iterations of the bottleneck search (and again of its restriction to a target's support) */
  bottleneckIterations: positiveInt('bottleneckIterations').default(3000),
  /**
   * a stationary point: the gradient norm below this — along the sphere for the sphere value,
   * in R^d for the bottleneck (which also stops once its value is below tolNats)
   */
  gradTol: positive('gradTol').default(1e-6),
  /** the sphere value (the set a norm outputs) where the ball's optimum is inside */
  sphere: z.boolean({ error: 'sphere must be true or false' }).default(true),
  /** random starts of the sphere search, beside the ball optimum's direction and Wᵀp's (each start also runs from its antipode) */
  sphereRandomStarts: z
    .number({ error: 'sphereRandomStarts must be a number' })
    .int('sphereRandomStarts must be an integer')
    .min(0, 'sphereRandomStarts must be at least 0')
    .default(2),
  /** targets solved together: 'auto' is 64 on a CPU, 256 on a GPU; target i lies in group floor(i / batch) */
  batch: z.union([positiveInt('batch'), z.literal('auto')]).default('auto'),
  /**
   * instead of batch, each target's group: a run of equal numbers is solved together and alone,
   * its sphere search seeded by the number (a sweep's bounds are its plan's groups: lib/bound/groups.ts)
   */
  groups: z
    .array(
      z
        .number({ error: 'groups must hold numbers' })
        .int('groups must hold integers')
        .min(0, 'groups must hold numbers >= 0')
        .max(2 ** 31 - 1, 'groups must hold numbers below 2^31'),
      { error: 'groups must be an array of group numbers, one per target' },
    )
    .refine((g) => g.every((x, i) => i === 0 || x >= g[i - 1]), 'groups must be in non-decreasing order')
    .optional(),
  /** the solver's arithmetic: float64 keeps the certificate meaningful at 1e-5 nats */
  dtype: oneOf('dtype', ['float64', 'float32']).default('float64'),
  /** return the optimal final-norm output s and the distribution softmax(W s + b) it gives */
  returnPoint: z.boolean({ error: 'returnPoint must be true or false' }).default(false),
  /** ids for the records (default: the target set's ids, or target:<i>) */
  targetIds: z.array(z.string()).optional(),
  /** stop the solve (within one pass over the head) and reject with an AbortError */
  signal: z
    .custom<AbortSignal>((v) => signalProblem(v) === undefined, { error: (i) => `signal ${signalProblem(i.input)}` })
    .optional(),
};

export const BoundOptionsSchema = z.strictObject(fields, { error: unknownKeysError(Object.keys(fields)) });

export type BoundOptions = z.input<typeof BoundOptionsSchema>;
export type BoundSettings = z.output<typeof BoundOptionsSchema>;

export class BoundOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoundOptionsError';
  }
}

export function parseBoundOptions(input: unknown): BoundSettings {
  const given = input as { batch?: unknown; groups?: unknown } | undefined;
  if (given?.batch !== undefined && given.groups !== undefined)
    throw new BoundOptionsError('invalid headBound options:\n  batch: give batch or groups, not both');
  const r = BoundOptionsSchema.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new BoundOptionsError(`invalid headBound options:\n${lines.join('\n')}`);
  }
  return r.data;
}
