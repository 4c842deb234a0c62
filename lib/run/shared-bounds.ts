// Head bounds the sweeps of a run share. A sweep solves its bound in fixed groups of its plan
// (lib/bound/groups.ts), and a group's bits depend on that group alone: its targets in order, its
// number (the sphere search's seed), and the model, device and dtype. Seven of the paper's sweeps
// on one model (vanilla, methods and the five prefix lengths) plan the same vanilla grid, so each
// solved the same groups again. Kept in the run's TargetStore, a group is solved once and the next
// sweep is given those very bits — what it would have solved itself, so a resumed run, which
// starts with an empty store, writes the same values. Only groups whose every target the store
// keeps (made from its plan alone: lib/targets/store.ts) are shared.
import { autoBoundBatch, boundGroupOf } from '../bound/index.js';
import type { Model } from '../model/model.js';
import type { TargetPlan } from '../sweep/index.js';
import { targetKey, type TargetStore } from '../targets/store.js';

/**
 * The group of the head bound's solve a target of the plan lies in, by its index in the plan
 * (lib/bound/groups.ts). A sweep always solves whole groups of the plan: a resume or a shard,
 * which needs only some targets, solves the groups they lie in and writes the bits an
 * uninterrupted run (and `distprompt bound` on the plan's targets) writes.
 */
export const planGroupOf = (planIndex: number, device: string): number =>
  boundGroupOf(planIndex, autoBoundBatch(device));

/** Each store's solved groups: what a sweep keeps of each target's bound (bound-columns.ts), by key. */
const SOLVED = new WeakMap<TargetStore, Map<string, readonly unknown[]>>();
/** Groups a plan priced as solved by an earlier sweep it planned (a plan solves only a sample). */
const PLANNED = new WeakMap<TargetStore, Set<string>>();

const solvedOf = (store: TargetStore) => SOLVED.get(store) ?? SOLVED.set(store, new Map()).get(store)!;
const plannedOf = (store: TargetStore) => PLANNED.get(store) ?? PLANNED.set(store, new Set()).get(store)!;

/** One group of a sweep's solve: its number, the indices of its targets in the list given, its key. */
export interface BoundGroup {
  group: number;
  indices: number[];
  /** undefined where a target of the group is not kept by the store (no other sweep shares it) */
  key: string | undefined;
}

/**
 * The groups `plans` (the targets a sweep bounds, in plan order) fall in, `groups[i]` being
 * plans[i]'s group number, each with the key its bits are shared under.
 */
export function boundGroups(model: Model, plans: readonly TargetPlan[], groups: readonly number[]): BoundGroup[] {
  const { device, dtype, identity, name, vocabSize } = model.info;
  const byGroup = new Map<number, number[]>();
  groups.forEach((g, i) => (byGroup.get(g) ?? byGroup.set(g, []).get(g)!).push(i));
  return [...byGroup].map(([group, indices]) => {
    const targets = indices.map((i) => targetKey(plans[i], vocabSize, device));
    const key = targets.every((t) => t !== undefined)
      ? JSON.stringify([name, identity, device, dtype, group, targets])
      : undefined;
    return { group, indices, key };
  });
}

/** The bound columns an earlier sweep of the run solved for group `g`, in its targets' order. */
export function sharedBounds<T>(store: TargetStore | undefined, g: BoundGroup): readonly T[] | undefined {
  return store && g.key !== undefined ? (solvedOf(store).get(g.key) as readonly T[] | undefined) : undefined;
}

/** Keeps a solved group's bound columns (in its targets' order) for the run's later sweeps. */
export function shareBounds<T>(store: TargetStore | undefined, g: BoundGroup, columns: readonly T[]): void {
  if (store && g.key !== undefined) solvedOf(store).set(g.key, columns);
}

/**
 * For a plan: the groups of `groups` an earlier sweep planned with the store (or run with it)
 * solves, which this sweep is given; the others then count as solved for the next plan.
 */
export function plannedBoundGroups(store: TargetStore, groups: readonly BoundGroup[]): Set<BoundGroup> {
  const planned = plannedOf(store);
  const shared = new Set<BoundGroup>();
  for (const g of groups) {
    if (g.key === undefined) continue;
    if (planned.has(g.key) || solvedOf(store).has(g.key)) shared.add(g);
    else planned.add(g.key);
  }
  return shared;
}

/**
 * For a plan: the targets of `inPlan` (plan indices, whole groups) whose bound the sweep solves
 * itself, less the groups an earlier sweep planned with the same store solves.
 */
export function boundTargetsToSolve(
  model: Model,
  targets: readonly TargetPlan[],
  inPlan: readonly number[],
  store?: TargetStore,
): number[] {
  if (!store) return [...inPlan];
  const groupNumbers = inPlan.map((i) => planGroupOf(i, model.info.device));
  const groups = boundGroups(
    model,
    inPlan.map((i) => targets[i]),
    groupNumbers,
  );
  const shared = plannedBoundGroups(store, groups);
  return groups.filter((g) => !shared.has(g)).flatMap((g) => g.indices.map((j) => inPlan[j]));
}
