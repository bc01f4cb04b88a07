// checkRunConfig's refusals that the flag tests cannot reach (the flags' own parsers refuse first) and flagOf, by
// exact message and value (issue 21, lib/cli's mutation score, third pass): an unknown method, an unknown encoder
// with the registry names that share its prefix (or the defaults when none does), --cuda-graph and --channels-last
// values, and option keys as their flags.
import * as assert from 'node:assert/strict';
import { checkRunConfig, RunConfig } from '../../lib/cli/run-config';
import { flagOf } from '../../lib/cli/option-parsers';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { list as listMethods } from '../../lib/ssl/registry';
import { refuses } from '../helpers/refuses';

describe('cli: checkRunConfig and flagOf by value', () => {
  const c = (over: Record<string, unknown>): RunConfig => ({ ...MAIN_JOB, ...over } as RunConfig);

  it('an unknown method, by name, with the registry\'s list', () => {
    refuses(() => checkRunConfig(c({ method: 'simclrr' })), `Unknown method 'simclrr'; expected one of ${listMethods().join(', ')}`);
  });

  it('an unknown encoder: the names that share its prefix before "_", else three defaults', () => {
    refuses(() => checkRunConfig(c({ encoder: 'smallish_net' })), 'Unknown encoder \'smallish_net\'; expected a registry name such as ' +
      'small_cnn, resnet18, vit_small_patch16_224 (selfsup info lists them)');
    refuses(() => checkRunConfig(c({ encoder: 'resnet_x' })), 'Unknown encoder \'resnet_x\'; expected a registry name such as ' +
      'resnet101, resnet18, resnet34, resnet50 (selfsup info lists them)');
  });

  it('--cuda-graph and --channels-last: auto, on or off (on with a cuda device for the graph)', () => {
    for (const v of ['auto', 'off']) {
      checkRunConfig(c({ cudaGraph: v, channelsLast: v }));
    }
    checkRunConfig(c({ channelsLast: 'on', cudaGraph: 'on', device: 'cuda:1' }));
    refuses(() => checkRunConfig(c({ cudaGraph: 'yes' })), 'Expected auto, on or off for --cuda-graph but received yes');
    refuses(() => checkRunConfig(c({ channelsLast: '' })), 'Expected auto, on or off for --channels-last but received ');
  });

  it('flagOf: camelCase keys as --kebab-case flags', () => {
    assert.deepEqual(['batchSize', 'evalTrainSubset', 'k', 'nprocPerNode'].map(flagOf),
      ['--batch-size', '--eval-train-subset', '--k', '--nproc-per-node']);
  });
});
