/**
 * BatchNorm on the input products W x of LSTM/GRU/LiGRU layers (pytorch-kaldi: BatchNorm1d over all
 * frames of the batch, momentum 0.05). Statistics are over real frames only: padding frames are
 * neither counted nor normalised (their outputs are zero). Training uses the batch statistics and
 * updates the running ones (unbiased variance, as PyTorch); inference uses the running statistics.
 */

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.05;

export interface BatchNormParams {
  gamma: Float32Array;
  beta: Float32Array;
  /** Running statistics used in inference. */
  mean: Float32Array;
  var: Float32Array;
}

export interface BatchNormState {
  /** Normalised inputs (rows x n), kept for the backward pass; padding rows are zero. */
  readonly xhat: Float32Array | null;
  /** 1/sqrt(var + eps) per column, of the batch (training) or the running variance (inference). */
  readonly invStd: Float64Array;
  /** Real frames the statistics were computed over. */
  readonly count: number;
  readonly train: boolean;
}

/**
 * Normalises y (T*B rows x n, time-major, row stride n) in place. Training mode: batch statistics, and
 * when `running` is given its mean/var are updated. `xhat` (rows x n) receives the normalised values
 * when a backward pass follows.
 */
export function batchNormForward(y: Float32Array, n: number, T: number, B: number, lengths: Int32Array, p: BatchNormParams, train: boolean, running: { mean: Float32Array; var: Float32Array } | null, xhat: Float32Array | null): BatchNormState {
  const mean = new Float64Array(n);
  const invStd = new Float64Array(n);
  let count = 0;
  if (train) {
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        if (t >= lengths[b]!) continue;
        count++;
        const o = (t * B + b) * n;
        for (let j = 0; j < n; j++) mean[j]! += y[o + j]!;
      }
    }
    const variance = new Float64Array(n);
    if (count > 0) {
      for (let j = 0; j < n; j++) mean[j]! /= count;
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          if (t >= lengths[b]!) continue;
          const o = (t * B + b) * n;
          for (let j = 0; j < n; j++) {
            const d = y[o + j]! - mean[j]!;
            variance[j]! += d * d;
          }
        }
      }
      for (let j = 0; j < n; j++) variance[j]! /= count;
    }
    for (let j = 0; j < n; j++) invStd[j] = 1 / Math.sqrt(variance[j]! + BN_EPS);
    if (running && count > 0) {
      const unbias = count > 1 ? count / (count - 1) : 1;
      for (let j = 0; j < n; j++) {
        running.mean[j] = (1 - BN_MOMENTUM) * running.mean[j]! + BN_MOMENTUM * mean[j]!;
        running.var[j] = (1 - BN_MOMENTUM) * running.var[j]! + BN_MOMENTUM * variance[j]! * unbias;
      }
    }
  } else {
    for (let j = 0; j < n; j++) {
      mean[j] = p.mean[j]!;
      invStd[j] = 1 / Math.sqrt(p.var[j]! + BN_EPS);
    }
  }
  // y = gamma (y - mean) invStd + beta as one multiply-add per element
  const scale = new Float32Array(n);
  const shift = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    scale[j] = p.gamma[j]! * invStd[j]!;
    shift[j] = p.beta[j]! - mean[j]! * p.gamma[j]! * invStd[j]!;
  }
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * n;
      if (t >= lengths[b]!) {
        y.fill(0, o, o + n);
        continue;
      }
      if (!train) count++;
      if (xhat) for (let j = 0; j < n; j++) xhat[o + j] = (y[o + j]! - mean[j]!) * invStd[j]!;
      for (let j = 0; j < n; j++) y[o + j] = y[o + j]! * scale[j]! + shift[j]!;
    }
  }
  return { xhat, invStd, count, train };
}

/**
 * Backward: dy (rows x n) becomes the gradient of the BatchNorm input in place; dgamma, dbeta
 * accumulate. Padding rows get zero gradients.
 */
export function batchNormBackward(dy: Float32Array, n: number, T: number, B: number, lengths: Int32Array, gamma: Float32Array, s: BatchNormState, dgamma: Float32Array, dbeta: Float32Array): void {
  const xhat = s.xhat!;
  const sumDy = new Float64Array(n);
  const sumDyX = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * n;
      if (t >= lengths[b]!) {
        dy.fill(0, o, o + n);
        continue;
      }
      for (let j = 0; j < n; j++) {
        const d = dy[o + j]!;
        sumDy[j]! += d;
        sumDyX[j]! += d * xhat[o + j]!;
      }
    }
  }
  for (let j = 0; j < n; j++) {
    dgamma[j]! += sumDyX[j]!;
    dbeta[j]! += sumDy[j]!;
  }
  const N = s.count;
  if (N === 0) return;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      if (t >= lengths[b]!) continue;
      const o = (t * B + b) * n;
      for (let j = 0; j < n; j++) {
        const a = gamma[j]! * s.invStd[j]!;
        dy[o + j] = s.train ? (a / N) * (N * dy[o + j]! - sumDy[j]! - xhat[o + j]! * sumDyX[j]!) : a * dy[o + j]!;
      }
    }
  }
}
