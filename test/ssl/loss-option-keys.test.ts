// Each loss of lib/ssl/losses refuses an options key it does not take, by
// name and with the keys it does take (a misspelt `temprature` used to run at
// the default temperature without a word), before it looks at its tensors;
// every documented key is accepted. Fast, no Python.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { refuses } from '../helpers/refuses';
import {
  DINOLoss, barlowTwinsLoss, deepClusterV2Loss, infoNceWithQueue, maeLoss, mocoV3Loss, ntXent, sinkhornKnopp,
  sphericalKMeans, swavLoss, vicregLoss,
} from '../../lib/ssl/losses';

const bad = <T>(v: unknown): T => v as T;

describe('ssl losses: unknown option keys are refused by name', () => {
  it('each loss names the misspelt key and lists the keys it takes', () => {
    const z = torch.randn([4, 3]);
    const unknown = (key: string, owner: string, keys: string): string =>
      `Unknown option(s) '${key}' for ${owner}; expected some of ${keys}`;
    refuses(() => ntXent(z, z, bad({ temprature: 1 })), unknown('temprature', 'ntXent', 'temperature, gatherDistributed'));
    refuses(() => barlowTwinsLoss(z, z, bad({ lamda: 1 })), unknown('lamda', 'barlowTwinsLoss', 'lambda'));
    refuses(() => vicregLoss(z, z, bad({ simCoef: 1 })), unknown('simCoef', 'vicregLoss', 'simCoeff, stdCoeff, covCoeff'));
    refuses(() => infoNceWithQueue(z, z, z, bad({ t: 1 })), unknown('t', 'infoNceWithQueue', 'temperature'));
    refuses(() => mocoV3Loss(z, z, bad({ temp: 1 })), unknown('temp', 'mocoV3Loss', 'temperature, gatherDistributed'));
    refuses(() => sinkhornKnopp(z, bad({ eps: 1 })), unknown('eps', 'sinkhornKnopp', 'epsilon, iterations, gatherDistributed'));
    refuses(() => swavLoss(z, [z], bad({ tau: 1 })), unknown('tau', 'swavLoss', 'temperature'));
    refuses(() => sphericalKMeans(z, 2, bad({ iters: 1 })), unknown('iters', 'sphericalKMeans', 'iterations, gatherDistributed, init, centroids, generator'));
    refuses(() => deepClusterV2Loss([z], [z], bad({ temp: 1 })), unknown('temp', 'deepClusterV2Loss', 'temperature'));
    refuses(() => maeLoss(z, z, z, bad({ patchSize: 1, normPixelLoss: false })),
      unknown('normPixelLoss', 'maeLoss', 'normPixLoss, patchSize'));
    refuses(() => new DINOLoss(bad({ outDim: 4, epochs: 1, teacherTemperature: 0.07 })), unknown('teacherTemperature', 'DINOLoss',
      'outDim, epochs, warmupTeacherTemp, teacherTemp, warmupTeacherTempEpochs, studentTemp, centerMomentum, nCrops'));
  });

  it('every documented key is accepted and acts', () => {
    const z1 = torch.tensor([[1, 0], [0, 1], [1, 1]]);
    const z2 = torch.tensor([[1, 0.5], [0.5, 1], [1, -1]]);
    const at = (t: number): number => Number(ntXent(z1, z2, { temperature: t, gatherDistributed: false }).item());
    assert.notEqual(at(0.5), at(1));
    assert.equal(Number(vicregLoss(z1, z2, { simCoeff: 0, stdCoeff: 0, covCoeff: 0 }).item()), 0);
    assert.notEqual(Number(barlowTwinsLoss(z1, z2, { lambda: 0 }).item()), Number(barlowTwinsLoss(z1, z2, { lambda: 1 }).item()));
    const images = torch.rand([1, 1, 4, 4]);
    const pred = torch.rand([1, 4, 4]);
    const mask = torch.tensor([[1, 0, 1, 0]]);
    const raw = Number(maeLoss(images, pred, mask, { patchSize: 2, normPixLoss: false }).item());
    assert.notEqual(raw, Number(maeLoss(images, pred, mask, { patchSize: 2, normPixLoss: true }).item()));
  });
});
