// The quantised ab colour space of "Colorful Image Colorization" (Zhang,
// Isola & Efros 2016, section 2.1): 313 in-gamut bins of grid size 10, soft
// encoding of true colours to their 5 nearest bins, class rebalancing from the
// colours' empirical distribution, and the annealed mean that turns predicted
// distributions back into colours. All batched tensor work on the device.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';

/** The grid size of the ab quantisation (section 2.1: "grid size 10"). */
export const AB_GRID = 10;

// NOTE: the 313 bins of the authors' resources/pts_in_hull.npy, written as
// the contiguous b range [lo, hi] (step 10) of each a column, a from -90 to
// 100. Every bin that an sRGB colour quantises to (261 of them) is inside;
// test/ssl/pretext/ab-bins.test.ts checks that against our rgbToLab.
const B_RANGE_BY_A: readonly (readonly [number, number, number])[] = [
  [-90, 50, 90], [-80, 20, 90], [-70, 0, 90], [-60, -20, 90], [-50, -30, 100], [-40, -40, 100], [-30, -50, 100],
  [-20, -50, 100], [-10, -60, 100], [0, -70, 100], [10, -80, 90], [20, -80, 90], [30, -90, 90], [40, -100, 90],
  [50, -100, 80], [60, -110, 80], [70, -110, 80], [80, -110, 70], [90, -110, 70], [100, -90, 0],
];

/** The number of in-gamut bins, Q = 313 (section 2.1). */
export const NUM_AB_BINS = 313;

/**
 * The (a, b) centres of the 313 in-gamut bins, a major, b ascending (the
 * order of the authors' pts_in_hull.npy), as a host array.
 * @example abBinCentres()[0]; // [-90, 50]
 */
export function abBinCentres(): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, lo, hi] of B_RANGE_BY_A) for (let b = lo; b <= hi; b += AB_GRID) out.push([a, b]);
  return out;
}

/**
 * The bin centres as a float32 (313, 2) tensor on `device`.
 * @example const bins = abBins('cuda'); // (313, 2)
 */
export function abBins(device: torch.Device = 'cpu'): Tensor {
  const flat = Float32Array.from(abBinCentres().flat());
  return torch.tensor(flat, { shape: [NUM_AB_BINS, 2] }).to({ device });
}

/** Squared distances (N, Q) from ab points (N, 2) to the bin centres (Q, 2). */
function squaredDistances(points: Tensor, bins: Tensor): Tensor {
  const diff = points.unsqueeze(1).sub(bins.unsqueeze(0)); // (N, Q, 2)
  return diff.square().sum([2]);
}

function checkAb(ab: Tensor, what: string): [number, number, number] {
  if (!(ab instanceof torch.Tensor) || ab.dim() !== 4 || ab.shape[1] !== 2) {
    throw new RangeError(`Expected ab channels of shape (B, 2, H, W) for ${what} but received ` +
      (ab instanceof torch.Tensor ? `shape [${ab.shape.join(', ')}]` : String(ab)));
  }
  return [ab.shape[0], ab.shape[2], ab.shape[3]];
}

/** `softEncode`'s options: defaults and checks. */
export const SOFT_ENCODE_OPTIONS = defineOptions({
  /** Nearest bins that share each colour. Default 5 (section 2.1: "the 5-nearest neighbors"). */
  neighbours: option(5, is.int(1)),
  /** Width of the Gaussian weighting, in ab units. Default 5 (section 2.1: "sigma = 5"). */
  sigma: option(5, is.positive),
});

/** Options of `softEncode`. */
export type SoftEncodeOptions = GivenOptions<typeof SOFT_ENCODE_OPTIONS.specs>;

/** `smoothPrior`'s (and `abPrior`'s) options. */
export const SMOOTH_PRIOR_OPTIONS = defineOptions({
  /** Width of the Gaussian that smooths the prior over the ab plane; 0 leaves it unsmoothed. Default 5 (section 2.2). */
  sigma: option(5, is.number(0)),
});

/** `rebalanceWeights`'s options. */
export const REBALANCE_OPTIONS = defineOptions({
  /** Mix of the prior with the uniform distribution. Default 0.5 (section 2.2: "lambda = 1/2"). */
  lambda: option(0.5, is.number(0, 1)),
});

/** `annealedMean`'s options. */
export const ANNEALED_MEAN_OPTIONS = defineOptions({
  /** Temperature T of the annealed mean. Default 0.38 (section 2.3: "T = 0.38"). */
  temperature: option(0.38, is.positive),
});

/** The bins a function uses: `abBins` on the input's device unless given (a tensor, so no default record can hold it). */
interface BinsOption { bins?: Tensor }

/**
 * Soft-encodes true ab values (B, 2, H, W) into target distributions
 * (B, Q, H, W) over the bins: the `neighbours` nearest bins of each pixel get
 * weights proportional to exp(-d^2 / (2 sigma^2)), summing to 1, as the
 * authors' NNEncode. `bins` defaults to `abBins` on the input's device.
 *
 * @example const z = softEncode(lab.narrow(1, 1, 2)); // (B, 313, H, W), rows sum to 1
 */
export function softEncode(ab: Tensor, options: SoftEncodeOptions & BinsOption = {}): Tensor {
  const [B, H, W] = checkAb(ab, 'softEncode');
  const { neighbours: k, sigma } = SOFT_ENCODE_OPTIONS.resolve(options, (key) => `softEncode options.${key}`);
  return torch.scope(() => torch.noGrad(() => {
    const bins = options.bins ?? abBins(ab.device);
    const Q = bins.shape[0];
    if (k > Q) throw new RangeError(`Expected at most ${Q} neighbours for softEncode but received ${k}`);
    const points = ab.detach().float().permute([0, 2, 3, 1]).reshape([-1, 2]); // (N, 2)
    const d2 = squaredDistances(points, bins.float()); // (N, Q)
    const { values: near, indices: idx } = d2.topk(k, 1, false); // (N, k) smallest
    const w = near.div(-2 * sigma * sigma).softmax(1); // exp(-d^2 / 2s^2), normalised
    const z = torch.zeros([points.shape[0], Q], { device: ab.device }).scatter(1, idx, w); // (N, Q)
    return z.view([B, H, W, Q]).permute([0, 3, 1, 2]).contiguous(); // (B, Q, H, W)
  }));
}

/**
 * The index (B, H, W) of the nearest bin of each pixel's ab value (hard quantisation).
 * @example const q = nearestBin(ab); // int64 (B, H, W) in 0..312
 */
export function nearestBin(ab: Tensor, bins?: Tensor): Tensor {
  const [B, H, W] = checkAb(ab, 'nearestBin');
  return torch.scope(() => torch.noGrad(() => {
    const centres = bins ?? abBins(ab.device);
    const points = ab.detach().float().permute([0, 2, 3, 1]).reshape([-1, 2]);
    return squaredDistances(points, centres.float()).argmin(1).view([B, H, W]);
  }));
}

/**
 * How many pixels of ab images (B, 2, H, W) fall nearest to each bin: float32 (Q).
 * @example const counts = binCounts(ab); // counts.sum() is B * H * W
 */
export function binCounts(ab: Tensor, bins?: Tensor): Tensor {
  checkAb(ab, 'binCounts');
  return torch.scope(() => torch.noGrad(() => {
    const centres = bins ?? abBins(ab.device);
    const q = nearestBin(ab, centres).reshape([-1]);
    return torch.zeros([centres.shape[0]], { device: ab.device }).scatterAdd(0, q, torch.ones([q.shape[0]], { device: ab.device }));
  }));
}

/**
 * Bin counts (Q) normalised to a distribution, then smoothed over the ab
 * plane with a Gaussian of `sigma` (section 2.2: "the empirical probability
 * of colors in the quantized ab space ... smoothed with a Gaussian kernel
 * G_sigma", sigma 5) and normalised again.
 *
 * @example const prior = smoothPrior(binCounts(trainAb)); // (313), sums to 1
 */
export function smoothPrior(counts: Tensor, options: GivenOptions<typeof SMOOTH_PRIOR_OPTIONS.specs> & BinsOption = {}): Tensor {
  const { sigma } = SMOOTH_PRIOR_OPTIONS.resolve(options, (k) => `smoothPrior options.${k}`);
  if (!(counts instanceof torch.Tensor) || counts.dim() !== 1) {
    throw new RangeError(`Expected bin counts of shape (Q) for smoothPrior but received ${String(counts)}`);
  }
  return torch.scope(() => torch.noGrad(() => {
    const bins = (options.bins ?? abBins(counts.device)).float();
    let p = counts.float().div(counts.float().sum());
    if (sigma > 0) {
      const kernel = squaredDistances(bins, bins).div(-2 * sigma * sigma).exp(); // (Q, Q)
      p = kernel.matmul(p);
      p = p.div(p.sum());
    }
    return p;
  }));
}

/**
 * The empirical distribution p (Q) of bins over a set of ab images, each pixel
 * counted at its nearest bin, smoothed and normalised as `smoothPrior`.
 *
 * @example const prior = abPrior(trainAb); // (313), sums to 1
 */
export function abPrior(ab: Tensor, options: GivenOptions<typeof SMOOTH_PRIOR_OPTIONS.specs> & BinsOption = {}): Tensor {
  checkAb(ab, 'abPrior');
  return torch.scope(() => smoothPrior(binCounts(ab, options.bins), options));
}

/**
 * Class-rebalancing weights w (Q) from a prior p (section 2.2, equation 4):
 * w proportional to ((1 - lambda) p + lambda / Q)^-1, normalised so that
 * sum_q p_q w_q = 1 (lambda: REBALANCE_OPTIONS).
 *
 * @example const w = rebalanceWeights(abPrior(trainAb)); // rare colours weigh more
 */
export function rebalanceWeights(prior: Tensor, options: GivenOptions<typeof REBALANCE_OPTIONS.specs> = {}): Tensor {
  const { lambda } = REBALANCE_OPTIONS.resolve(options, (k) => `rebalanceWeights options.${k}`);
  if (!(prior instanceof torch.Tensor) || prior.dim() !== 1) {
    throw new RangeError(`Expected a prior of shape (Q) for rebalanceWeights but received ${String(prior)}`);
  }
  return torch.scope(() => {
    const Q = prior.shape[0];
    const w = prior.mul(1 - lambda).add(lambda / Q).reciprocal();
    return w.div(prior.mul(w).sum());
  });
}

/**
 * The annealed mean (section 2.3, equation 5): the predicted distribution's
 * temperature-adjusted version f_T(z) = exp(log z / T) / sum exp(log z / T),
 * i.e. softmax(logits / T), and its expectation over the bin centres.
 * logits (B, Q, H, W) -> ab (B, 2, H, W) (T: ANNEALED_MEAN_OPTIONS).
 *
 * @example const ab = annealedMean(logits); // then labToRgb(cat([L, ab], 1))
 */
export function annealedMean(logits: Tensor, options: GivenOptions<typeof ANNEALED_MEAN_OPTIONS.specs> & BinsOption = {}): Tensor {
  const { temperature: T } = ANNEALED_MEAN_OPTIONS.resolve(options, (k) => `annealedMean options.${k}`);
  if (!(logits instanceof torch.Tensor) || logits.dim() !== 4) {
    throw new RangeError(`Expected logits of shape (B, Q, H, W) for annealedMean but received ${String(logits)}`);
  }
  return torch.scope(() => {
    const bins = (options.bins ?? abBins(logits.device)).to({ dtype: logits.dtype });
    const p = logits.div(T).softmax(1); // (B, Q, H, W)
    return torch.einsum('bqhw,qc->bchw', [p, bins]);
  });
}
