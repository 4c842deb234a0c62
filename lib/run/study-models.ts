// The models of a study's sweeps, one loaded at a time: a sweep's model is loaded when it first
// needs it, kept while the next sweeps run on it, and disposed once a sweep on another model comes
// or its last sweep is through. A second model held beside the first (a random twin beside the
// model its later sweeps run on again) takes device memory the automatic batch would use, and two
// 8B models in bfloat16 do not fit a 24 GB GPU at all: a reload costs less than either.
import { describeModel, loadModel, type LoadOptions, type ModelDescription } from '../model/load.js';
import type { Model } from '../model/model.js';
import type { StudySweep } from '../study/plan.js';

export class StudyModels {
  #held: { name: string; model: Model } | undefined;
  readonly #left = new Map<string, number>();
  readonly #described = new Map<string, Promise<ModelDescription>>();
  readonly #options: (s: StudySweep) => LoadOptions;
  readonly #onLoad?: (s: StudySweep) => void;
  #loadSeconds = 0;

  /**
   * `sweeps`: those this run goes through, in order; `options`: how one sweep's model is loaded
   * (its device and dtype); `onLoad`: told before each load.
   */
  constructor(
    sweeps: readonly StudySweep[],
    options: (s: StudySweep) => LoadOptions,
    onLoad?: (s: StudySweep) => void,
  ) {
    this.#options = options;
    this.#onLoad = onLoad;
    for (const s of sweeps) if (!s.skipped) this.#left.set(s.model, (this.#left.get(s.model) ?? 0) + 1);
  }

  /** Sweep `s`'s model, loaded if it is not held (any other held model is disposed first). */
  async get(s: StudySweep): Promise<Model> {
    if (this.#held?.name === s.model) return this.#held.model;
    this.#drop();
    this.#onLoad?.(s);
    const t0 = performance.now();
    const model = await loadModel(s.model, this.#options(s));
    this.#loadSeconds += (performance.now() - t0) / 1000;
    this.#held = { name: s.model, model };
    return model;
  }

  /** What sweep `s`'s model is, from its config and files (no weights loaded); once per model. */
  describe(s: StudySweep): Promise<ModelDescription> {
    let d = this.#described.get(s.model);
    if (!d) this.#described.set(s.model, (d = describeModel(s.model, this.#options(s))));
    return d;
  }

  /** The held model named `name`, if it is. */
  loaded(name: string): Model | undefined {
    return this.#held?.name === name ? this.#held.model : undefined;
  }

  /** Seconds spent loading since the last call: what the sweep about to be planned pays. */
  takeLoadSeconds(): number {
    const t = this.#loadSeconds;
    this.#loadSeconds = 0;
    return t;
  }

  /** Sweep `s` is through: its model is disposed if no later sweep runs on it. */
  done(s: StudySweep): void {
    if (s.skipped) return;
    const left = (this.#left.get(s.model) ?? 1) - 1;
    this.#left.set(s.model, left);
    if (left <= 0 && this.#held?.name === s.model) this.#drop();
  }

  dispose(): void {
    this.#drop();
  }

  #drop(): void {
    this.#held?.model.dispose();
    this.#held = undefined;
  }
}
