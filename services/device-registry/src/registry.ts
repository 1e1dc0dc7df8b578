import type { BusMessage, BusPayload, Bus, ServiceHandle } from '@acs/bus';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  QUEUE_GROUPS,
  REGISTRY_SERVICE_NAME,
  decodePayload,
  domainErrorCode,
  parseCpeRequestRequest,
  parseNextActionRequest,
  parseRecordInformRequest,
  parseRecordResultRequest,
  parseStunDeviceRequest,
  parseVerifyCredentialsRequest,
  type ErrorCode,
  type ErrorReply,
  type Parser,
  type RegistryClient,
  type StunDeviceReply,
  type StunDeviceRequest,
} from '@acs/contracts';
import { createMetrics, extractTraceContext } from '@acs/telemetry';
import { ensureCatchAllType, verifyCredentials } from './credentials.js';
import { cpeRequest } from './cpe-requests.js';
import { DEFAULT_POLICY, type RegistryDeps, type RegistryPolicy } from './deps.js';
import { recordInform } from './inform.js';
import { countedStore } from './instrumentation.js';
import { recordResult } from './results.js';
import { nextAction } from './session-next.js';
import type { DeviceType } from './store/types.js';
import { createStunLookup } from './stun/lookup.js';

export type RegistryOptions = Omit<RegistryDeps, 'policy' | 'clock'> & { policy?: Partial<RegistryPolicy>; clock?: RegistryDeps['clock'] };

/** A bus request handler: raw message in, reply payload out (an ErrorReply for bad input). */
export type EndpointHandler = (msg: BusMessage) => Promise<BusPayload>;

/**
 * The registry's domain logic. The five gateway endpoints are plain async functions (the
 * `RegistryClient` shape, so the all-in-one app or a test can call them without a bus);
 * `endpoints()` wraps them as bus handlers keyed by subject, and `registerEndpoints` serves them.
 */
export interface Registry extends RegistryClient {
  /** Creates or updates the catch-all device type for ACS_ONBOARDING_USERNAME/PASSWORD. */
  ensureCatchAllType(username: string, password: string): Promise<DeviceType>;
  /** connreq-stun's question: whose STUN username is this, and must its Binding Requests carry integrity? NOT_FOUND: nobody's. */
  stunDevice(req: StunDeviceRequest): Promise<StunDeviceReply>;
  /** Bus handlers by subject; each validates its request and never throws. */
  endpoints(): Record<string, EndpointHandler>;
  /**
   * Serves every endpoint on `bus` as the `acs-registry` service in its queue group: a NATS micro service
   * (`nats micro ls`) on NATS, plain queue-group subscriptions in memory.
   */
  registerEndpoints(bus?: Bus): Promise<ServiceHandle>;
  readonly deps: RegistryDeps;
}

/** Version announced by the registry micro service. */
export const REGISTRY_SERVICE_VERSION = '0.1.0';

export function createRegistry(options: RegistryOptions): Registry {
  const metrics = createMetrics('@acs/device-registry');
  const deps: RegistryDeps = { ...options, store: countedStore(options.store, metrics), clock: options.clock ?? Date.now, policy: { ...DEFAULT_POLICY, ...options.policy } };
  const requests = metrics.counter('acs.registry.requests', { description: 'gateway requests served (bus round trips), by endpoint' });
  const errorReply = (code: ErrorCode, message: string, issues?: ErrorReply['error']['issues']): ErrorReply => ({
    ok: false,
    error: { code, message, ...(issues ? { issues: issues.map((i) => ({ ...i, path: [...i.path] })) } : {}) },
  });

  const tracer = trace.getTracer('@acs/device-registry');
  const stun = createStunLookup(deps.store, deps.clock);

  function endpoint<Req>(subject: string, parse: Parser<Req>, run: (req: Req) => Promise<object>): EndpointHandler {
    const handle = serveOne(subject, parse, run);
    const name = subject.slice(subject.lastIndexOf('.') + 1);
    // The caller's traceparent (NATS header) parents this span, so one trace shows the session across services.
    return (msg) =>
      tracer.startActiveSpan(`registry ${name}`, { kind: SpanKind.SERVER }, extractTraceContext(msg.headers), async (span) => {
        try {
          const reply = await handle(msg);
          if ('ok' in reply && reply.ok === false && 'error' in reply) span.setStatus({ code: SpanStatusCode.ERROR, message: String((reply as ErrorReply).error.code) });
          return reply;
        } finally {
          span.end();
        }
      });
  }

  function serveOne<Req>(subject: string, parse: Parser<Req>, run: (req: Req) => Promise<object>): EndpointHandler {
    return async (msg) => {
      const parsed = decodePayload(msg.data, parse);
      if (!parsed.ok) {
        deps.logger.warn({ subject, err: parsed.error.message }, 'invalid registry request');
        return errorReply('INVALID_PAYLOAD', parsed.error.message, parsed.error.issues as ErrorReply['error']['issues']);
      }
      try {
        return await run(parsed.value);
      } catch (err) {
        const code = domainErrorCode(err);
        if (code !== undefined) {
          deps.logger.warn({ subject, err }, 'registry request refused');
          return errorReply(code, (err as Error).message);
        }
        deps.logger.error({ subject, err }, 'registry request failed');
        return errorReply('INTERNAL', 'internal error');
      }
    };
  }

  const registry: Registry = {
    deps,
    // Counted here, not in the bus endpoints: the all-in-one calls these directly (one round trip each all the same).
    verifyCredentials: (req) => (requests.add(1, { endpoint: 'verify' }), verifyCredentials(deps, req)),
    recordInform: (req) => (requests.add(1, { endpoint: 'record' }), recordInform(deps, req)),
    cpeRequest: (req) => (requests.add(1, { endpoint: 'cpe-request' }), cpeRequest(deps, req)),
    nextAction: (req) => (requests.add(1, { endpoint: 'next' }), nextAction(deps, req)),
    recordResult: (req) => (requests.add(1, { endpoint: 'result' }), recordResult(deps, req)),
    ensureCatchAllType: (username, password) => ensureCatchAllType(deps, username, password),
    stunDevice: (req) => stun.stunDevice(req),
    endpoints() {
      const s = deps.subjects.registry;
      return {
        [s.credentialsVerify]: endpoint(s.credentialsVerify, parseVerifyCredentialsRequest, registry.verifyCredentials),
        [s.informRecord]: endpoint(s.informRecord, parseRecordInformRequest, registry.recordInform),
        [s.sessionCpeRequest]: endpoint(s.sessionCpeRequest, parseCpeRequestRequest, registry.cpeRequest),
        [s.sessionNext]: endpoint(s.sessionNext, parseNextActionRequest, registry.nextAction),
        [s.sessionResult]: endpoint(s.sessionResult, parseRecordResultRequest, registry.recordResult),
        [s.stunDevice]: endpoint(s.stunDevice, parseStunDeviceRequest, registry.stunDevice),
      };
    },
    registerEndpoints(bus = deps.bus) {
      const endpoints = Object.entries(registry.endpoints()).map(([subject, handler]) => ({
        // Endpoint names as `nats micro info` shows them: the subject without the prefix, dots as dashes.
        name: subject.slice(deps.subjects.prefix.length + '.registry.'.length).replace(/[^A-Za-z0-9_-]/g, '-'),
        subject,
        handler,
      }));
      return bus.serveService(
        { name: REGISTRY_SERVICE_NAME, version: REGISTRY_SERVICE_VERSION, description: 'ACS device registry: credentials, informs, session RPCs', queue: QUEUE_GROUPS.registry },
        endpoints,
      );
    },
  };
  return registry;
}
