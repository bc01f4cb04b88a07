// Parity with PyTorch: the same seed gives the same random numbers
// (the reference side runs torch.manual_seed(0) before each case).
import { torch, nn } from '../../lib';
import { input, parity } from '../helpers/parity';

const seeded = <T>(fn: () => T): T => {
  torch.manualSeed(0);
  return fn();
};

parity('seeded random numbers', [
  { name: 'rand', inputs: [], js: () => seeded(() => torch.rand([2, 3])), py: 'torch.rand(2, 3)' },
  { name: 'randn', inputs: [], js: () => seeded(() => torch.randn([7])), py: 'torch.randn(7)' },
  { name: 'randint', inputs: [], js: () => seeded(() => torch.randint(0, 100, [6])), py: 'torch.randint(0, 100, (6,))' },
  { name: 'randperm', inputs: [], js: () => seeded(() => torch.randperm(10)), py: 'torch.randperm(10)' },
  { name: 'normal_ and uniform_', inputs: [], js: () => seeded(() => [torch.empty([4]).normal_(), torch.empty([4]).uniform_()]),
    py: '(torch.empty(4).normal_(), torch.empty(4).uniform_())' },
  { name: 'dropout in training', inputs: [input('x', [4, 5])], js: (x) => seeded(() => nn.functional.dropout(x, { p: 0.3 })),
    py: 'F.dropout(x, p=0.3)' },
]);

// A generator's state is PyTorch's byte for byte, so checkpoints can carry it.
parity('generator states', [
  { name: 'torch.getRngState after seeding and drawing', inputs: [],
    js: () => seeded(() => { torch.rand([5]); return torch.getRngState(); }),
    py: '(torch.rand(5), torch.get_rng_state())[1]' },
  { name: 'Generator.getState after its own draws', inputs: [],
    js: () => { const g = new torch.Generator().manualSeed(7); torch.randn([3], { generator: g }); return g.getState(); },
    py: '(lambda g: (torch.randn(3, generator=g), g.get_state())[1])(torch.Generator().manual_seed(7))' },
]);
