// Which row goes into which slot of the tuner. Two disciplines:
// - continuous (the default): a slot freed by a stopped row takes the next queued row at once,
//   so the device never idles while rows remain;
// - grouped (deterministic mode): rows run in fixed groups, a group is loaded only into an empty
//   tuner and the next group waits until every row of this one has stopped. A row's batch
//   neighbours are then its group and nothing else, so its floating-point sums (whose rounding
//   depends on the GEMM's shape) are the same in every run of the same group.
// Rows leave in plan order in both: the queue is the order the caller gave.

export interface Placed<R> {
  row: R;
  slot: number;
  /** performance.now() when the row was loaded (its wall time) */
  started: number;
}

export class SlotScheduler<R> {
  #slots: (Placed<R> | undefined)[];
  /** grouped mode: groups still to run, first at the end (pop() = plan order) */
  readonly #queue: R[][];
  /**
   * continuous mode: the caller's rows, those before `#next` loaded; rows put back by restart go
   * to `#back` (first at the end). Not a queue of its own: 500,000 rows copied into one held the
   * event loop 0.15 s.
   */
  readonly #rows: readonly R[];
  #next = 0;
  readonly #back: R[] = [];
  readonly #grouped: boolean;
  readonly #now: () => number;

  /**
   * `groupOf` (grouped mode): the key of a row's group; rows sharing a key run together, groups
   * in the order of their first row. A group larger than the slots is an error.
   */
  constructor(
    rows: readonly R[],
    slots: number,
    options: { groupOf?: (row: R) => string | number; now?: () => number } = {},
  ) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
    this.#slots = new Array<Placed<R> | undefined>(slots).fill(undefined);
    this.#grouped = options.groupOf !== undefined;
    this.#now = options.now ?? (() => performance.now());
    const groupOf = options.groupOf;
    if (groupOf) {
      const groups = new Map<string | number, R[]>();
      for (const r of rows) {
        const key = groupOf(r);
        const g = groups.get(key);
        if (g) g.push(r);
        else groups.set(key, [r]);
      }
      for (const [key, g] of groups) {
        if (g.length > slots)
          throw new RangeError(`group ${key} has ${g.length} rows but the batch has ${slots} slots`);
      }
      this.#queue = [...groups.values()].reverse();
      this.#rows = [];
    } else {
      this.#queue = [];
      this.#rows = rows;
    }
  }

  get slotCount(): number {
    return this.#slots.length;
  }

  /** Rows on the device now. */
  get active(): number {
    return this.#slots.filter(Boolean).length;
  }

  /** Rows still queued (not yet loaded). */
  get queued(): number {
    return this.#queue.reduce((n, g) => n + g.length, this.#back.length + this.#rows.length - this.#next);
  }

  /** The occupied slots, ascending. */
  activeSlots(): number[] {
    return this.#slots.flatMap((x, i) => (x ? [i] : []));
  }

  /** The row in a slot (throws on an empty one: a harvest of a slot never loaded is a bug). */
  at(slot: number): Placed<R> {
    const p = this.#slots[slot];
    if (!p) throw new RangeError(`slot ${slot} holds no row`);
    return p;
  }

  /**
   * Assign queued rows to free slots (lowest first) and return what to load; empty when nothing
   * changes. Grouped: the next whole group, and only into an empty tuner.
   */
  fill(): Placed<R>[] {
    const placed: Placed<R>[] = [];
    if (this.#grouped) {
      if (this.active > 0 || this.#queue.length === 0) return placed;
      this.#queue.pop()!.forEach((row, slot) => placed.push((this.#slots[slot] = { row, slot, started: this.#now() })));
      return placed;
    }
    for (let slot = 0; slot < this.#slots.length; slot++) {
      if (this.#slots[slot]) continue;
      if (!this.#back.length && this.#next >= this.#rows.length) break;
      const row = this.#back.length ? this.#back.pop()! : this.#rows[this.#next++];
      placed.push((this.#slots[slot] = { row, slot, started: this.#now() }));
    }
    return placed;
  }

  /** Free a slot whose row has been harvested; returns that row. */
  release(slot: number): Placed<R> {
    const p = this.at(slot);
    this.#slots[slot] = undefined;
    return p;
  }

  /**
   * Put the rows in flight back at the front of the queue, in their plan order, and start over
   * with `slots` empty slots (after the tuner is rebuilt, e.g. smaller after out of memory).
   */
  restart(slots: number): void {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
    const inFlight = this.#slots.filter((x): x is Placed<R> => !!x).map((p) => p.row);
    if (inFlight.length) {
      if (this.#grouped) this.#queue.push(inFlight);
      else for (const r of inFlight.reverse()) this.#back.push(r);
    }
    this.#slots = new Array<Placed<R> | undefined>(slots).fill(undefined);
  }
}
