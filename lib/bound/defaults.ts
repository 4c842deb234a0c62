// headBound()'s defaults, stated once: its options schema (options.ts, where each field is
// described) fills them in, and the CLI help prints them without loading the schema's validator.

export const BOUND_DEFAULTS = {
  tolNats: 1e-5,
  maxIterations: 3000,
  bottleneck: true,
  bottleneckIterations: 3000,
  gradTol: 1e-6,
  sphere: true,
  sphereRandomStarts: 2,
  batch: 'auto',
  dtype: 'float64',
  returnPoint: false,
} as const;
