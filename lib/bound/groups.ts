// The fixed groups the head bound solves targets in. A target's bound depends on the targets
// solved beside it (the group's shape sets the rounding, and the sphere search draws its random
// starts from the group's number), so everything that must give a target the same bits — a
// sweep, its resume and shards, and `distprompt bound` on the same targets — groups by this rule.

/** Targets solved together where the batch is 'auto': 64 on a CPU, 256 on a GPU. */
export const autoBoundBatch = (device: string): number => (device.startsWith('cuda') ? 256 : 64);

/** The group of the index-th target of a set (of a sweep: of its plan), solved `batch` at a time. */
export function boundGroupOf(index: number, batch: number): number {
  return Math.floor(index / batch);
}
