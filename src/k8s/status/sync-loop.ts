// The status writer's schedule: a coalescing sync loop (leader only, one pass at a time, a
// failed pass retried with backoff).
import { Backoff } from '../backoff.js';

/**
 * Runs `sync` (one pass over every object; returns how many failed) whenever scheduled, never
 * two at once; requests that arrive mid-pass coalesce into one more pass. Does nothing while
 * not leader. A pass with failures is retried with backoff.
 */
export class StatusSyncLoop {
  private readonly sync: () => Promise<number>;
  private readonly isLeader: () => boolean;
  private pending = false;
  private running: Promise<void> | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retryBackoff = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.2 });

  constructor(sync: () => Promise<number>, isLeader: () => boolean) {
    this.sync = sync;
    this.isLeader = isLeader;
  }

  /** True once stop() was called: passes should end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  schedule(): void {
    if (this.stopped) return;
    this.pending = true;
    if (!this.running) this.running = this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when no pass is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.idle();
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.stopped) {
      this.pending = false;
      if (!this.isLeader()) return;
      const failures = await this.sync();
      clearTimeout(this.retryTimer);
      if (failures > 0) this.retryTimer = setTimeout(() => this.schedule(), this.retryBackoff.next());
      else this.retryBackoff.reset();
    }
  }
}
