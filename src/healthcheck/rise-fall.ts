// The verdict of active checks on one endpoint: it starts healthy (so a new pod or a rolling
// update never waits on probes), turns unhealthy after `unhealthyThreshold` consecutive failed
// probes (fall) and healthy again after `healthyThreshold` consecutive passes (rise).
export class RiseFall {
  healthy = true;
  /** Consecutive results against the current verdict. */
  private streak = 0;

  /** Records one probe; true when the verdict changed. */
  record(passed: boolean, healthyThreshold: number, unhealthyThreshold: number): boolean {
    if (passed === this.healthy) {
      this.streak = 0;
      return false;
    }
    if (++this.streak < Math.max(1, passed ? healthyThreshold : unhealthyThreshold)) return false;
    this.healthy = passed;
    this.streak = 0;
    return true;
  }

  /** Starts counting afresh (the check changed); the verdict stays. */
  resetStreak(): void {
    this.streak = 0;
  }
}
