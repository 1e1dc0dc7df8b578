import type { Bus } from '@acs/bus';
import {
  decodeJson,
  isErrorCode,
  parseCpeRequestReply,
  parseErrorReply,
  parseNextActionReply,
  parseRecordInformReply,
  parseRecordResultReply,
  parseVerifyCredentialsReply,
  type CpeRequestReply,
  type CpeRequestRequest,
  type NextActionReply,
  type NextActionRequest,
  type Parser,
  type RecordInformReply,
  type RecordInformRequest,
  type RecordResultReply,
  type RecordResultRequest,
  type RegistryClient,
  type Subjects,
  type VerifyCredentialsReply,
  type VerifyCredentialsRequest,
} from '@acs/contracts';
import { injectTraceContext } from '@acs/telemetry';
import { RegistryError } from './errors.js';

export interface BusRegistryClientOptions {
  readonly bus: Bus;
  readonly subjects: Subjects;
  /** Deadline of each call; past it the call rejects with a `RegistryError` coded `TIMEOUT`. */
  readonly timeoutMs: number;
}

// Headers of a NATS micro-service error reply (@nats-io/services), whose body may be empty.
const SERVICE_ERROR_CODE = 'Nats-Service-Error-Code';
const SERVICE_ERROR = 'Nats-Service-Error';

/**
 * `RegistryClient` over bus request/reply with JSON payloads. Error replies (`ErrorReplySchema`, or a micro-service
 * error header) and transport failures reject with `RegistryError`; rejected credentials stay values.
 */
export class BusRegistryClient implements RegistryClient {
  readonly #bus: Bus;
  readonly #subjects: Subjects;
  readonly #timeoutMs: number;

  constructor(options: BusRegistryClientOptions) {
    this.#bus = options.bus;
    this.#subjects = options.subjects;
    this.#timeoutMs = options.timeoutMs;
  }

  verifyCredentials(req: VerifyCredentialsRequest): Promise<VerifyCredentialsReply> {
    return this.#call(this.#subjects.registry.credentialsVerify, req, parseVerifyCredentialsReply);
  }

  recordInform(req: RecordInformRequest): Promise<RecordInformReply> {
    return this.#call(this.#subjects.registry.informRecord, req, parseRecordInformReply);
  }

  cpeRequest(req: CpeRequestRequest): Promise<CpeRequestReply> {
    return this.#call(this.#subjects.registry.sessionCpeRequest, req, parseCpeRequestReply);
  }

  nextAction(req: NextActionRequest): Promise<NextActionReply> {
    return this.#call(this.#subjects.registry.sessionNext, req, parseNextActionReply);
  }

  recordResult(req: RecordResultRequest): Promise<RecordResultReply> {
    return this.#call(this.#subjects.registry.sessionResult, req, parseRecordResultReply);
  }

  async #call<T>(subject: string, payload: object, parse: Parser<T>): Promise<T> {
    let reply;
    try {
      // traceparent of the active span (the CWMP request's), so one trace shows the session across services.
      reply = await this.#bus.request(subject, payload, { timeoutMs: this.#timeoutMs, headers: injectTraceContext() });
    } catch (cause) {
      throw RegistryError.fromTransport(subject, cause);
    }
    const headerCode = reply.headers[SERVICE_ERROR_CODE];
    if (headerCode !== undefined) {
      const code = reply.headers[SERVICE_ERROR] ?? '';
      throw new RegistryError(isErrorCode(code) ? code : 'INTERNAL', subject, `service error ${headerCode} ${code}`.trim());
    }
    const json = decodeJson(reply.data, subject);
    if (!json.ok) throw new RegistryError('INVALID_REPLY', subject, json.error.message, { cause: json.error });
    // Only a reply that says `ok: false` is worth parsing as an error (a failed parse builds an error with a stack).
    if ((json.value as { ok?: unknown } | null)?.ok === false) {
      const asError = parseErrorReply(json.value);
      if (asError.ok) throw RegistryError.fromReply(subject, asError.value);
    }
    const parsed = parse(json.value);
    if (!parsed.ok) throw new RegistryError('INVALID_REPLY', subject, parsed.error.message, { cause: parsed.error });
    return parsed.value;
  }
}
