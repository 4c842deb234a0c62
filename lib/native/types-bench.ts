// Native exports only the benchmarks use (bench/): timing yardsticks measured inside the addon, on
// device-resident tensors, so that a benchmark's ratios are of the kernels alone. They are no part
// of the library's surface: the Addon type (lib/native/index.ts) leaves them out, and only bench/
// reaches them, through benchNative() in bench/common.ts.
import type { NativeDtype } from './types-model.js';

export interface BenchAddon {
  /** seconds per [m,k]×[k,n] matmul into a preallocated output (the benchmarks' yardstick) */
  matmulSeconds(a: {
    m: number;
    k: number;
    n: number;
    dtype?: NativeDtype;
    device?: string;
    reps?: number;
  }): Promise<number>;
  /** seconds per copy of `bytes` between two preallocated buffers (the benchmarks' bandwidth yardstick) */
  copySeconds(a: { bytes: number; device?: string; reps?: number }): Promise<number>;
  /** seconds per softmax-KL forward + backward on device-resident [rows, vocab] tensors; reference: the unfused path */
  klSeconds(a: {
    rows: number;
    vocab: number;
    dtype?: 'float32' | 'float64' | 'bfloat16' | 'float16';
    device?: string;
    reps?: number;
    reference?: boolean;
  }): Promise<number>;
}

/** One libtorch op's share of a profile (native/addon/profile_ops.cc). */
export interface ProfiledOp {
  name: string;
  /** forward: grad mode on; backward: inside an autograd node; other: no grad (update, HotFlip, bookkeeping) */
  phase: 'forward' | 'backward' | 'other';
  calls: number;
  /** without the ops it called */
  selfSeconds: number;
  totalSeconds: number;
}

export interface ProfileAddon {
  /** observe every libtorch op on every thread until profileStop; syncCuda: each op waits for the device (its kernels' time) */
  profileStart(o?: { syncCuda?: boolean }): void;
  /** the ops seen since profileStart, by self time; opSeconds: time inside outermost ops (the rest of a wall time ran in none) */
  profileStop(): { ops: ProfiledOp[]; opSeconds: number };
}
