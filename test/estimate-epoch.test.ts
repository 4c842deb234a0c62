// An epoch's price from a calibration call timed a chunk at a time: a pause of the machine in one
// chunk does not move it.
import { describe, expect, it } from 'vitest';

import { chunkedEpochSeconds } from '../lib/run/estimate-epoch.js';

// A call of 6 chunks of 4 epochs, 10 ms an epoch: its setup and its harvest take longer.
const steady = [0.5, 0.04, 0.04, 0.04, 0.04, 0.3];

describe('an epoch priced from a call timed chunk by chunk', () => {
  it('is a chunk between setup and harvest over its epochs', () => {
    expect(chunkedEpochSeconds(steady, 4)).toBeCloseTo(0.01, 12);
  });
  it('passes over a pause in one chunk, wherever it falls', () => {
    for (let i = 0; i < steady.length; i++) {
      const paused = steady.map((s, j) => (j === i ? s + 2 : s));
      expect(chunkedEpochSeconds(paused, 4)).toBeCloseTo(0.01, 12);
    }
  });
  it('takes the lesser of two inner chunks, one of them paused', () => {
    expect(chunkedEpochSeconds([0.5, 0.04, 1.5, 0.3], 4)).toBeCloseTo(0.01, 12);
    expect(chunkedEpochSeconds([0.5, 1.5, 0.04, 0.3], 4)).toBeCloseTo(0.01, 12);
  });
  it('is the median of the inner chunks, not their least, where no pause stands out', () => {
    expect(chunkedEpochSeconds([0.5, 0.05, 0.04, 0.06, 0.3], 4)).toBeCloseTo(0.0125, 12);
  });
  it('leaves a call without a chunk between its first and last to the caller', () => {
    expect(chunkedEpochSeconds([], 4)).toBeUndefined();
    expect(chunkedEpochSeconds([0.5], 4)).toBeUndefined();
    expect(chunkedEpochSeconds([0.5, 0.3], 4)).toBeUndefined();
  });
  it('does not reorder the times it is given', () => {
    const times = [0.5, 0.06, 0.04, 0.05, 0.3];
    chunkedEpochSeconds(times, 4);
    expect(times).toEqual([0.5, 0.06, 0.04, 0.05, 0.3]);
  });
});
