// Ctrl-C during training: the first SIGINT asks the loop to stop after the
// current step and save a checkpoint; a second one exits at once.

/**
 * Listens for SIGINT while installed. `requested` turns true on the first
 * one; the second calls `process.exit(130)` (the shell's code for SIGINT).
 *
 * @example
 * const stop = new SigintHandler(() => progress.message('Stopping after this step (Ctrl-C again to quit now)'));
 * stop.install(); try { await loop(() => stop.requested); } finally { stop.remove(); }
 */
export class SigintHandler {
  requested = false;
  private installed = false;
  private readonly handler = (): void => {
    if (this.requested) process.exit(130);
    this.requested = true;
    this.onFirst?.();
  };

  constructor(private readonly onFirst?: () => void) {}

  /** Starts listening (replacing Node's default exit on SIGINT while installed). @example handler.install(); */
  install(): void {
    if (this.installed) return;
    process.on('SIGINT', this.handler);
    this.installed = true;
  }

  /** Stops listening: Node's default behaviour returns once no other listener is left. @example handler.remove(); */
  remove(): void {
    if (!this.installed) return;
    process.removeListener('SIGINT', this.handler);
    this.installed = false;
  }
}
