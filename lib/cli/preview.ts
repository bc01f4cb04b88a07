// `selfsup preview`: placeholder until the data work lands.
import { Command } from 'commander';

export function registerPreview(p: Command): void {
  p.command('preview').description('Write a PNG grid of augmented views').action(() => {
    throw new Error('selfsup preview is not built yet');
  });
}
