// An independent head-bound solver, written plainly for tiny heads (V ≤ 64, d ≤ 8) in float64:
// the constraint is exact (a ball of radius √d, in the subspace Σc = 0 for LayerNorm, taken
// through an orthonormal basis), and the minimum comes from the KKT conditions: the solution of
// min g(z) + λ/2‖z‖² by damped Newton with a dense Hessian, with λ found by bisection so that
// ‖z(λ)‖ = √d (or λ ≈ 0 when the unconstrained minimum lies inside). Nothing is shared with
// the native spectral projected gradient it checks.

export interface PlainHead {
  W: Float64Array; // V×d
  V: number;
  d: number;
  norm: 'layernorm' | 'rmsnorm';
  gamma?: Float64Array;
  beta?: Float64Array;
  bias?: Float64Array;
}

/** Orthonormal basis (columns, d×k) of R^d (rmsnorm) or of {Σc = 0} (layernorm), by Gram–Schmidt. */
function basis(d: number, centred: boolean): number[][] {
  const cols: number[][] = [];
  const start = centred ? [Array(d).fill(1 / Math.sqrt(d))] : [];
  const done = [...start];
  for (let i = 0; i < d; i++) {
    const v = Array.from({ length: d }, (_, j) => (j === i ? 1 : 0));
    for (const u of done) {
      const dot = u.reduce((s, x, j) => s + x * v[j], 0);
      for (let j = 0; j < d; j++) v[j] -= dot * u[j];
    }
    const n = Math.hypot(...v);
    if (n < 1e-9) continue;
    const e = v.map((x) => x / n);
    done.push(e);
    cols.push(e);
  }
  return cols.slice(0, centred ? d - 1 : d);
}

/** Solves A x = b by Gauss–Jordan elimination with partial pivoting. */
export function solveLinear(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/** The problem in z (k dims): logits(z) = A z + e, with A = W·diag(γ)·B and e = Wβ + b. */
function reduce(h: PlainHead) {
  const B = basis(h.d, h.norm === 'layernorm');
  const k = B.length;
  const A: number[][] = [];
  const e: number[] = [];
  for (let v = 0; v < h.V; v++) {
    const row: number[] = [];
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < h.d; i++) s += h.W[v * h.d + i] * (h.gamma?.[i] ?? 1) * B[j][i];
      row.push(s);
    }
    A.push(row);
    let c = h.bias?.[v] ?? 0;
    for (let i = 0; i < h.d; i++) c += h.W[v * h.d + i] * (h.beta?.[i] ?? 0);
    e.push(c);
  }
  return { A, e, k, B };
}

export function klAt(h: PlainHead, p: ArrayLike<number>, s: ArrayLike<number>): number {
  const z = Array.from({ length: h.V }, (_, v) => {
    let x = h.bias?.[v] ?? 0;
    for (let i = 0; i < h.d; i++) x += h.W[v * h.d + i] * s[i];
    return x;
  });
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
  let kl = 0;
  for (let v = 0; v < h.V; v++) if (p[v] > 0) kl += p[v] * (Math.log(p[v]) - (z[v] - lse));
  return kl;
}

/** min over the final norm's outputs of KL(p || softmax(W s + b)), and the minimising s. */
export function referenceHeadBound(h: PlainHead, p: ArrayLike<number>): { klNats: number; s: number[] } {
  const { A, e, k, B } = reduce(h);
  const r = Math.sqrt(h.d);
  const value = (z: number[]) => {
    const logits = A.map((row, v) => row.reduce((s, a, j) => s + a * z[j], e[v]));
    const m = Math.max(...logits);
    const w = logits.map((x) => Math.exp(x - m));
    const sum = w.reduce((a, x) => a + x, 0);
    const q = w.map((x) => x / sum);
    let kl = 0;
    for (let v = 0; v < h.V; v++) if (p[v] > 0) kl += p[v] * (Math.log(p[v]) - (logits[v] - m - Math.log(sum)));
    return { kl, q };
  };
  // argmin of KL + λ/2‖z‖² by damped Newton, from z0.
  const minimise = (lambda: number, z0: number[]) => {
    let z = [...z0];
    for (let it = 0; it < 200; it++) {
      const { kl, q } = value(z);
      const g = Array.from(
        { length: k },
        (_, j) => A.reduce((s, row, v) => s + row[j] * (q[v] - p[v]), 0) + lambda * z[j],
      );
      const H = Array.from({ length: k }, (_, i) =>
        Array.from({ length: k }, (_, j) => {
          let s = 0;
          let ai = 0;
          let aj = 0;
          for (let v = 0; v < h.V; v++) {
            s += q[v] * A[v][i] * A[v][j];
            ai += q[v] * A[v][i];
            aj += q[v] * A[v][j];
          }
          return s - ai * aj + (i === j ? lambda + 1e-14 : 0);
        }),
      );
      const step = solveLinear(H, g);
      const f0 = kl + (lambda / 2) * z.reduce((s, x) => s + x * x, 0);
      let t = 1;
      let next = z;
      for (; t > 1e-12; t /= 2) {
        next = z.map((x, j) => x - t * step[j]);
        const f1 = value(next).kl + (lambda / 2) * next.reduce((s, x) => s + x * x, 0);
        if (f1 <= f0) break;
      }
      const moved = Math.hypot(...next.map((x, j) => x - z[j]));
      z = next;
      if (moved < 1e-13 * (1 + Math.hypot(...z))) break;
    }
    return z;
  };
  const norm = (z: number[]) => Math.hypot(...z);
  let z = minimise(1e-10, Array(k).fill(0));
  if (norm(z) > r) {
    // ‖z(λ)‖ decreases in λ: bisect on log λ until the constraint holds with equality.
    let lo = 1e-10;
    let hi = 1;
    while (norm(minimise(hi, Array(k).fill(0))) > r) hi *= 4;
    for (let i = 0; i < 80; i++) {
      const mid = Math.sqrt(lo * hi);
      z = minimise(mid, z);
      if (norm(z) > r) lo = mid;
      else hi = mid;
    }
    z = minimise(hi, z);
    z = z.map((x) => (x * r) / Math.max(r, norm(z)));
  }
  const s = Array.from({ length: h.d }, (_, i) => {
    let c = 0;
    for (let j = 0; j < k; j++) c += B[j][i] * z[j];
    return (h.gamma?.[i] ?? 1) * c + (h.beta?.[i] ?? 0);
  });
  return { klNats: value(z).kl, s };
}
