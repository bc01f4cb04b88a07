// A first supervised run on the building blocks: an MLP on Fashion-MNIST with
// nn layers, the seeded Loader and SGD, each step inside a memory scope.
//
//   node dist/examples/fashion-mnist-mlp.js [epochs=2] [dataDir]
//
// The data comes from Debian's dataset-fashion-mnist package.
import { torch, nn, optim, data } from '../lib';

async function main(): Promise<void> {
  const epochs = Number(process.argv[2] ?? 2);
  const root = process.argv[3];
  const t0 = Date.now();
  torch.manualSeed(0);
  const train = data.fashionMnist({ root, split: 'train' });
  const test = data.fashionMnist({ root, split: 'test' });
  const [mean, std] = [train.mean[0], train.std[0]];
  const toInputs = (images: torch.Tensor) => images.flatten(1).float().div(255).sub(mean).div(std); // (B, 784)

  const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const loader = new data.Loader(train, { batchSize: 128, seed: 0 });
  const testX = torch.keep(toInputs(test.images));

  for (let epoch = 0; epoch < epochs; epoch++) {
    let lossSum = 0;
    for await (const batch of loader.epoch(epoch)) {
      lossSum += torch.scope(() => {
        const loss = nn.functional.crossEntropy(model.forward(toInputs(batch.images)), batch.labels!);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item() as number;
      });
      data.disposeBatch(batch);
    }
    const accuracy = torch.noGrad(() => torch.scope(() =>
      model.forward(testX).argmax(1).eq(test.labels!).float().mean().item() as number));
    console.log(`epoch ${epoch + 1}: train loss ${(lossSum / loader.length).toFixed(4)}, test accuracy ` +
      `${(accuracy * 100).toFixed(2)}%, live tensors ${torch.memory().tensors}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
