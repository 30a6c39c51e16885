// A data-plane worker process: no provider, no translation — it assembles the tables the
// controller sends (in pieces, see table-transfer.ts), installs them, and serves traffic on
// sockets it shares with its sibling workers.
import type { Config } from '../config/config.js';
import { DataPlane } from '../dataplane/dataplane.js';
import { loadTracing } from '../dataplane/tracing/tracing.js';
import { adoptDefaultCertificate } from '../dataplane/tls/default-certificate.js';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import { type FromWorker, isMessage, type ToWorker } from './messages.js';
import { TableAssembler } from './table-transfer.js';

function send(message: FromWorker): void {
  process.send?.(message);
}

export async function runWorker(config: Config, log: Logger): Promise<void> {
  const tracing = await loadTracing(config.tracing);
  // Sampled spans become exemplars of the request metrics; without tracing none is kept.
  const metrics = new Metrics({ exemplars: tracing !== undefined });
  const dataplane = new DataPlane({ config, metrics, log, ...(tracing ? { tracing } : {}) });
  // The table whose pieces are arriving.
  let incoming: { generation: number; assembler: TableAssembler } | undefined;
  const assemblerFor = (generation: number): TableAssembler => {
    if (incoming?.generation !== generation) incoming = { generation, assembler: new TableAssembler() };
    return incoming.assembler;
  };
  // Installs run one at a time and in order, whatever the arrival pace.
  let installing = Promise.resolve();
  let stopping = false;
  process.on('message', (raw: unknown) => {
    if (!isMessage<ToWorker>(raw)) return;
    switch (raw.type) {
      case 'sluice:table-piece':
        assemblerFor(raw.generation).add(raw.piece);
        break;
      case 'sluice:table-end': {
        const assembler = assemblerFor(raw.generation);
        incoming = undefined;
        installing = installing
          .then(async () => {
            let table;
            try {
              table = assembler.finish(raw, dataplane.table?.table);
            } catch (err) {
              log.warn({ err, generation: raw.generation }, 'cannot apply an endpoint-only update; asking for the whole table');
              return send({ type: 'sluice:resync' });
            }
            await dataplane.install(table, raw.generation);
            send({ type: 'sluice:installed', generation: raw.generation });
          })
          .catch((err: unknown) => log.error({ err, generation: raw.generation }, 'table install failed'));
        break;
      }
      case 'sluice:metrics':
        dataplane.refreshHealthMetric();
        void metrics.registry.getMetricsAsJSON().then((m) => send({ type: 'sluice:metrics', id: raw.id, metrics: m }));
        break;
      case 'sluice:default-certificate':
        adoptDefaultCertificate(raw.pair);
        break;
      case 'sluice:active-health':
        for (const v of raw.verdicts) dataplane.setActiveHealth(v.clusterId, v.key, v.healthy);
        break;
      case 'sluice:health':
        send({ type: 'sluice:health', id: raw.id, health: dataplane.healthSnapshot() });
        break;
      case 'sluice:stats':
        send({ type: 'sluice:stats', id: raw.id, stats: dataplane.trafficSnapshot() });
        break;
      case 'sluice:cache':
        send({ type: 'sluice:cache', id: raw.id, cache: dataplane.cacheSnapshot() });
        break;
      case 'sluice:stop':
        if (stopping) return;
        stopping = true;
        void dataplane.stop(raw.drainMs).then(() => process.exit(0));
        break;
    }
  });
  // The controller stops us; a signal sent to the whole process group must not cut requests short.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => {
    if (!stopping) process.exit(1); // the controller is gone: nothing will ever update our table
  });
  await dataplane.start();
  send({ type: 'sluice:ready' });
}
