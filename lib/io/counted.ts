// Counts in the lines a user reads: '1 sweep', '2 sweeps', never '1 sweeps'.

/** `n noun`, the noun plural unless n is 1 (`plural` where adding 's' is wrong). */
export const counted = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`;
