import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createMemoryBus, MemoryBroker, type BusMessage } from '@acs/bus';
import { createSubjects } from '@acs/contracts';
import { startTelemetry, type Telemetry } from '@acs/telemetry';
import { trace } from '@opentelemetry/api';
import { FakeRegistry } from '../test/support/fake-registry.js';
import { decode } from '@acs/cwmp';
import { DEVICE_ID, envelope, httpRequest, startGateways, TestCpe, until } from '../test/support/harness.js';
import { BusRegistryClient } from './bus-registry-client.js';

// The real SDK (no exporter): spans get real ids, and traceparent must reach the bus.
let telemetry: Telemetry;
beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'cwmp-gateway-test', metricsHandler: true });
});
afterAll(async () => {
  await telemetry.shutdown();
});

const traceIdOf = (m: BusMessage | undefined) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(m?.headers.traceparent ?? '')?.[1];

describe('trace context', () => {
  it('travels with every registry request', async () => {
    const broker = new MemoryBroker();
    const registrySide = createMemoryBus({ broker });
    const gatewaySide = createMemoryBus({ broker });
    const subjects = createSubjects('acs');
    const seen: BusMessage[] = [];
    registrySide.serve(subjects.registry.sessionNext, (msg) => {
      seen.push(msg);
      return { action: 'none' };
    });
    const client = new BusRegistryClient({ bus: gatewaySide, subjects, timeoutMs: 1_000 });
    const traceId = await trace.getTracer('test').startActiveSpan('session', async (span) => {
      await client.nextAction({ sessionId: 's', deviceId: 'd' });
      span.end();
      return span.spanContext().traceId;
    });
    expect(traceIdOf(seen[0])).toBe(traceId);
    await registrySide.close();
    await gatewaySide.close();
  });

  it('ties the events of one CWMP request to one trace', async () => {
    const registry = new FakeRegistry().addCredential('cpe1', { password: 'pw', deviceId: DEVICE_ID });
    const harness = await startGateways(1, { registry });
    try {
      const events: BusMessage[] = [];
      harness.observer.subscribe(harness.subjects.evt.all, (m) => {
        events.push(m);
      });
      expect((await new TestCpe(harness.urls, { username: 'cpe1', password: 'pw' }).open()).status).toBe(200);
      await until(() => events.length === 2);
      const [started, inform] = events.map(traceIdOf);
      expect(started).toMatch(/^[0-9a-f]{32}$/);
      expect(inform).toBe(started);
    } finally {
      await harness.stop();
    }
  });

  it('counts informs, sessions and RPCs on /metrics', async () => {
    const registry = new FakeRegistry()
      .addCredential('cpe1', { password: 'pw', deviceId: DEVICE_ID })
      .queue(DEVICE_ID, { taskId: 't-1', rpc: { name: 'Reboot', commandKey: 'r' } });
    const harness = await startGateways(1, { registry, ...(telemetry.metricsHandler ? { metricsHandler: telemetry.metricsHandler } : {}) });
    try {
      const cpe = new TestCpe(harness.urls, { username: 'cpe1', password: 'pw' });
      await cpe.open();
      const reboot = decode((await cpe.post('')).body);
      if (reboot.kind === 'empty') throw new Error('expected Reboot');
      expect((await cpe.post(envelope({ name: 'RebootResponse' }, { id: reboot.envelope.header.id as string }))).status).toBe(204);
      expect((await new TestCpe(harness.urls, { username: 'cpe1', password: 'pw' }).postWithDigest('')).status).toBe(400);
      const metrics = await httpRequest((harness.urls[0] as string).replace('/cwmp/', '/metrics'), { method: 'GET' });
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^acs_cwmp_informs_total\S* [1-9]/m);
      expect(metrics.body).toMatch(/^acs_cwmp_rpcs_total\{[^}]*method="Reboot"[^}]*\} [1-9]/m);
      expect(metrics.body).toMatch(/^acs_cwmp_sessions_ended_total\{[^}]*outcome="completed"[^}]*\} [1-9]/m);
      expect(metrics.body).toMatch(/^acs_cwmp_rejected_total\{[^}]*reason="EMPTY_POST_WITHOUT_SESSION"[^}]*\} [1-9]/m);
      expect(metrics.body).toMatch(/^acs_cwmp_session_duration_count\{[^}]*outcome="completed"/m);
    } finally {
      await harness.stop();
    }
  });
});
