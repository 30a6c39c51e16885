// Hold-off with a ceiling: each trigger restarts a short quiet-period timer, but a steady stream
// of triggers cannot push the run past maxDelay from the first pending trigger.

export class Debouncer {
  private holdTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly holdoffMs: number;
  private readonly maxDelayMs: number;
  private readonly run: () => void;

  constructor(holdoffMs: number, maxDelayMs: number, run: () => void) {
    this.holdoffMs = holdoffMs;
    this.maxDelayMs = maxDelayMs;
    this.run = run;
  }

  trigger(): void {
    if (this.stopped) return;
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => this.fire(), this.holdoffMs);
    this.maxTimer ??= setTimeout(() => this.fire(), this.maxDelayMs);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    clearTimeout(this.holdTimer);
    clearTimeout(this.maxTimer);
    this.holdTimer = undefined;
    this.maxTimer = undefined;
  }

  private fire(): void {
    this.clear();
    this.run();
  }
}
