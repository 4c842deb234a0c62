// How many turns of the event loop pass while a test's work runs: a callback that runs once in
// each turn counts them (what a test of work spread over turns asserts on, never a time).

/** The turn of the event loop now, counted from the call, until stop(). */
export function turnClock(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turn++;
    setImmediate(spin);
  };
  setImmediate(spin);
  return {
    get turn() {
      return turn;
    },
    stop: () => {
      done = true;
    },
  };
}
