// The models of a study's sweeps, each loaded when a sweep first needs it and disposed after its
// last sweep: a model held past its last sweep (a random twin after `random-init`, a model
// checked up front but run later) takes device memory the next sweeps' automatic batch would use.
import type { Model } from '../model/model.js';
import type { StudySweep } from '../study/plan.js';

export class StudyModels {
  readonly #loaded = new Map<string, Model>();
  readonly #left = new Map<string, number>();
  readonly #load: (s: StudySweep) => Promise<Model>;

  /** `sweeps`: those this run goes through, in order; `load`: how one sweep's model is loaded. */
  constructor(sweeps: readonly StudySweep[], load: (s: StudySweep) => Promise<Model>) {
    this.#load = load;
    for (const s of sweeps) if (!s.skipped) this.#left.set(s.model, (this.#left.get(s.model) ?? 0) + 1);
  }

  /** Sweep `s`'s model, loaded if it is not. */
  async get(s: StudySweep): Promise<Model> {
    let m = this.#loaded.get(s.model);
    if (!m) {
      m = await this.#load(s);
      this.#loaded.set(s.model, m);
    }
    return m;
  }

  /** The loaded model named `name`, if it is. */
  loaded(name: string): Model | undefined {
    return this.#loaded.get(name);
  }

  /** Sweep `s` is through: its model is disposed if no later sweep runs on it. */
  done(s: StudySweep): void {
    if (s.skipped) return;
    const left = (this.#left.get(s.model) ?? 1) - 1;
    this.#left.set(s.model, left);
    if (left <= 0) this.#drop(s.model);
  }

  /** Disposes every loaded model but `keep`'s (models checked up front that later sweeps load again). */
  keepOnly(keep: string | undefined): void {
    for (const name of [...this.#loaded.keys()]) if (name !== keep) this.#drop(name);
  }

  dispose(): void {
    this.keepOnly(undefined);
  }

  #drop(name: string): void {
    this.#loaded.get(name)?.dispose();
    this.#loaded.delete(name);
  }
}
