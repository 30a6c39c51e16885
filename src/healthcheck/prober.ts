// Active health checks, run once per Sluice process (in the controller, not in data-plane
// workers): every endpoint Kubernetes reports ready in a cluster whose policy asks for checks
// is probed on its own timer, and a verdict is emitted when an endpoint's state changes; the
// caller broadcasts it to the data planes (EndpointHealth.setActive). State is per cluster and
// endpoint and survives table updates; what leaves the table stops being probed at once.
// HTTP checks to a TLS cluster speak TLS exactly as its requests do (probe-tls.ts).
import type { Logger } from '../log.js';
import type { ActiveHealthCheck, RoutingTable } from '../table/types.js';
import { endpointKey } from '../dataplane/upstream/pools.js';
import { UpstreamTlsProfiles } from '../dataplane/upstream/tls.js';
import { probe as defaultProbe, type Probe, type ProbeOutcome, type ProbeResult, type ProbeTarget } from './probe.js';
import { backendClientCertificates, type ClientCertificates, probeTransport, type ProbeTransport, transportSignature } from './probe-tls.js';
import { RiseFall } from './rise-fall.js';

export interface ActiveVerdict {
  readonly clusterId: string;
  readonly key: string;
  readonly healthy: boolean;
}

/** The latest probe of each probed endpoint (cluster id → endpoint key), for /debug/routes. */
export type ProbeSnapshot = Readonly<Record<string, Readonly<Record<string, ProbeOutcome>>>>;

export interface ActiveHealthCheckerOptions {
  /** An endpoint's verdict changed (also: healthy when an unhealthy endpoint stops being probed). */
  readonly onVerdict: (clusterId: string, key: string, healthy: boolean) => void;
  /**
   * Counts probe results (sluice_health_checks_total) and, per cluster, the probes whose TLS
   * failed (sluice_health_check_tls_failures_total).
   */
  readonly metrics?: { result(result: ProbeResult): void; tlsFailure?(clusterId: string, reason: string): void };
  /** Milliseconds, monotonic. */
  readonly now?: () => number;
  /** Uniform in [0, 1), for the initial jitter. */
  readonly random?: () => number;
  readonly log?: Logger;
  /** How to probe (tests and other transports); default: HTTP or TCP by the check's type. */
  readonly probe?: Probe;
}

/** One endpoint probed for one cluster. */
class ProbedEndpoint {
  readonly key: string;
  readonly target: ProbeTarget;
  readonly verdict = new RiseFall();
  /** The latest probe's outcome (none yet: undefined). */
  last: ProbeOutcome | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The probe in flight, if any: there is never more than one. */
  running: AbortController | undefined;
  /** Bumped when the check changes: a probe of an older check reports nothing. */
  generation = 0;
  stopped = false;

  constructor(key: string, target: ProbeTarget) {
    this.key = key;
    this.target = target;
  }
}

interface ProbedCluster {
  readonly id: string;
  check: ActiveHealthCheck;
  transport: ProbeTransport;
  /** Of the check and the transport: a change restarts the probes. */
  signature: string;
  readonly endpoints: Map<string, ProbedEndpoint>;
}

export class ActiveHealthChecker {
  private readonly clusters = new Map<string, ProbedCluster>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly options: ActiveHealthCheckerOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly probe: Probe;
  /** The data plane's TLS profiles, built by the same code from the same table. */
  private readonly tlsProfiles = new UpstreamTlsProfiles();
  /** backendClientCertificates of the latest listeners (endpoint-only updates keep the same array). */
  private clients: { readonly of: RoutingTable['listeners']; readonly by: ClientCertificates } | undefined;
  private stopped = false;

  constructor(options: ActiveHealthCheckerOptions) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.probe = options.probe ?? defaultProbe;
  }

  /**
   * Brings the probes in line with a new table's clusters; its listeners say which backend
   * client certificates requests to each cluster present.
   */
  update(table: Pick<RoutingTable, 'clusters' | 'listeners'>): void {
    if (this.stopped) return;
    const seen = new Set<string>();
    const profiles = new Set<string>();
    for (const c of table.clusters) {
      const check = c.unresolved ? undefined : c.policy?.healthCheck?.active;
      if (!check) continue;
      seen.add(c.id);
      const transport: ProbeTransport = check.type === 'TCP' ? { type: 'clear' } : probeTransport(c, this.clientCertificates(table.listeners).get(c.id), this.tlsProfiles);
      if (transport.type === 'tls') for (const v of transport.variants) profiles.add(v.profileId);
      const signature = `${JSON.stringify(check)}|${transportSignature(transport)}`;
      let group = this.clusters.get(c.id);
      if (!group) this.clusters.set(c.id, (group = { id: c.id, check, transport, signature, endpoints: new Map() }));
      else if (group.signature !== signature) this.restart(group, check, transport, signature);
      const ready = new Map<string, ProbeTarget>();
      for (const e of c.endpoints) if (e.ready) ready.set(endpointKey(e), { address: e.address, port: e.port });
      for (const [key, ep] of group.endpoints) {
        if (!ready.has(key)) this.drop(group, ep);
      }
      for (const [key, target] of ready) {
        if (group.endpoints.has(key)) continue;
        const ep = new ProbedEndpoint(key, target);
        group.endpoints.set(key, ep);
        this.schedule(group, ep, this.jitter(check));
      }
    }
    for (const group of this.clusters.values()) {
      if (seen.has(group.id)) continue;
      for (const ep of group.endpoints.values()) this.drop(group, ep);
      this.clusters.delete(group.id);
    }
    this.tlsProfiles.retain(profiles);
  }

  /** Current verdicts that differ from the default (healthy), to bring a fresh data plane up to date. */
  *verdicts(): IterableIterator<ActiveVerdict> {
    for (const group of this.clusters.values()) {
      for (const ep of group.endpoints.values()) if (!ep.verdict.healthy) yield { clusterId: group.id, key: ep.key, healthy: false };
    }
  }

  /** The latest probe of every endpoint probed now. */
  snapshot(): ProbeSnapshot {
    const out: Record<string, Record<string, ProbeOutcome>> = {};
    for (const group of this.clusters.values()) {
      for (const ep of group.endpoints.values()) if (ep.last) (out[group.id] ??= {})[ep.key] = ep.last;
    }
    return out;
  }

  /** Cancels every timer and probe; resolves once no probe is running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const group of this.clusters.values()) for (const ep of group.endpoints.values()) this.halt(ep);
    this.clusters.clear();
    await Promise.all(this.inflight);
  }

  private clientCertificates(listeners: RoutingTable['listeners']): ClientCertificates {
    if (this.clients?.of !== listeners) this.clients = { of: listeners, by: backendClientCertificates(listeners) };
    return this.clients.by;
  }

  private jitter(check: ActiveHealthCheck): number {
    return check.initialJitterMs > 0 ? this.random() * check.initialJitterMs : 0;
  }

  /** The check or TLS changed: probes start over on it (after a jitter); verdicts stay, streaks restart. */
  private restart(group: ProbedCluster, check: ActiveHealthCheck, transport: ProbeTransport, signature: string): void {
    group.check = check;
    group.transport = transport;
    group.signature = signature;
    for (const ep of group.endpoints.values()) {
      ep.generation++;
      ep.verdict.resetStreak();
      clearTimeout(ep.timer);
      ep.timer = undefined;
      // A running probe finishes (unheard, so there is never a second in flight); its
      // completion schedules the first probe of the new check.
      if (!ep.running) this.schedule(group, ep, this.jitter(check));
    }
  }

  /** Stops probing an endpoint; one left unhealthy goes back to the default for the data planes. */
  private drop(group: ProbedCluster, ep: ProbedEndpoint): void {
    this.halt(ep);
    group.endpoints.delete(ep.key);
    if (!ep.verdict.healthy) this.emit(group.id, ep.key, true);
  }

  private halt(ep: ProbedEndpoint): void {
    ep.stopped = true;
    clearTimeout(ep.timer);
    ep.timer = undefined;
    ep.running?.abort();
  }

  private schedule(group: ProbedCluster, ep: ProbedEndpoint, delayMs: number): void {
    if (ep.stopped) return;
    ep.timer = setTimeout(() => this.run(group, ep), delayMs);
    ep.timer.unref();
  }

  private run(group: ProbedCluster, ep: ProbedEndpoint): void {
    ep.timer = undefined;
    if (ep.stopped || ep.running) return;
    const done: Promise<void> = this.probeOnce(group, ep).finally(() => this.inflight.delete(done));
    this.inflight.add(done);
  }

  /**
   * One round: the probe over the cluster's transport. With several TLS variants (client
   * certificates) one probe each, at once; the round passes when one does, else it is the
   * first variant's failure.
   */
  private async probeRound(group: ProbedCluster, ep: ProbedEndpoint, signal: AbortSignal): Promise<ProbeOutcome> {
    const { check, transport } = group;
    if (transport.type === 'clear') return this.probe(check, ep.target, signal);
    if (transport.type === 'refuse') return { result: 'error', tlsFailure: 'refused', detail: transport.reason };
    const outcomes = await Promise.all(transport.variants.map(({ connect, serverName }) => this.probe(check, { ...ep.target, tls: { connect, serverName } }, signal)));
    return outcomes.find((o) => o.result === 'success') ?? outcomes[0]!;
  }

  private async probeOnce(group: ProbedCluster, ep: ProbedEndpoint): Promise<void> {
    const check = group.check;
    const generation = ep.generation;
    const started = this.now();
    const abort = new AbortController();
    ep.running = abort;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.probeRound(group, ep, abort.signal);
    } catch (err) {
      // Probes do not reject; should one, it counts as a failed probe.
      this.options.log?.warn({ err, cluster: group.id, endpoint: ep.key }, 'health probe crashed');
      outcome = { result: 'error', detail: 'probe crashed' };
    } finally {
      ep.running = undefined;
    }
    if (ep.stopped) return;
    if (generation !== ep.generation) return this.schedule(group, ep, this.jitter(group.check));
    ep.last = outcome;
    try {
      this.options.metrics?.result(outcome.result);
      if (outcome.tlsFailure) this.options.metrics?.tlsFailure?.(group.id, outcome.tlsFailure);
      this.judge(group, ep, outcome);
    } catch (err) {
      this.options.log?.warn({ err, cluster: group.id, endpoint: ep.key }, 'health probe result not recorded');
    }
    this.schedule(group, ep, Math.max(0, check.intervalMs - (this.now() - started)));
  }

  private judge(group: ProbedCluster, ep: ProbedEndpoint, outcome: ProbeOutcome): void {
    const { healthyThreshold, unhealthyThreshold } = group.check;
    if (!ep.verdict.record(outcome.result === 'success', healthyThreshold, unhealthyThreshold)) return;
    const healthy = ep.verdict.healthy;
    // The failing probe's outcome says why (result, TLS failure reason, error or status).
    this.options.log?.info({ cluster: group.id, endpoint: ep.key, ...outcome }, healthy ? 'endpoint passes active health checks again' : 'endpoint fails active health checks');
    this.emit(group.id, ep.key, healthy);
  }

  private emit(clusterId: string, key: string, healthy: boolean): void {
    try {
      this.options.onVerdict(clusterId, key, healthy);
    } catch (err) {
      this.options.log?.warn({ err, cluster: clusterId, endpoint: key }, 'health verdict listener failed');
    }
  }
}
