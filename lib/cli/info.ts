// `selfsup info`: placeholder until the shipping work lands.
import { Command } from 'commander';

export function registerInfo(p: Command): void {
  p.command('info').description('Print versions, devices and the loaded addon').action(() => {
    throw new Error('selfsup info is not built yet');
  });
}
