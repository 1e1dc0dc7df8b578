import { createHash } from 'node:crypto';
import type {
  CpeRequestReply,
  CpeRequestRequest,
  NextActionReply,
  NextActionRequest,
  RecordInformReply,
  RecordInformRequest,
  RecordResultReply,
  RecordResultRequest,
  RegistryClient,
  VerifyCredentialsReply,
  VerifyCredentialsRequest,
} from '@acs/contracts';
import type { AcsRequest } from '@acs/cwmp';
import { RegistryError } from '../../src/errors.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export interface FakeCredential {
  readonly password: string;
  /** Per-device credential: only this device may use it. Absent: a device-type credential (any device). */
  readonly deviceId?: string;
}

/**
 * A scripted registry implementing the `RegistryClient` port: credentials it checks itself (RFC 2617 computed
 * here, independently of the gateway and of the test client), a task queue per device, and a log of every call.
 */
export class FakeRegistry implements RegistryClient {
  readonly credentials = new Map<string, FakeCredential>();
  readonly tasks = new Map<string, { taskId: string; rpc: AcsRequest }[]>();
  readonly calls: { method: keyof RegistryClient; req: unknown }[] = [];
  readonly informs: RecordInformRequest[] = [];
  readonly results: RecordResultRequest[] = [];
  readonly cpeRequests: CpeRequestRequest[] = [];
  /** When set, every call rejects with it (the registry is down). */
  failure: Error | undefined;
  /** Only these calls fail (with `failure`, or a NO_RESPONDERS RegistryError when it is unset). */
  readonly failing = new Set<keyof RegistryClient>();

  addCredential(username: string, credential: FakeCredential): this {
    this.credentials.set(username, credential);
    return this;
  }

  queue(deviceId: string, ...rpcs: { taskId: string; rpc: AcsRequest }[]): this {
    this.tasks.set(deviceId, [...(this.tasks.get(deviceId) ?? []), ...rpcs]);
    return this;
  }

  static unavailable(subject = 'acs.registry.session.next'): RegistryError {
    return new RegistryError('NO_RESPONDERS', subject, 'no responders');
  }

  #enter(method: keyof RegistryClient, req: unknown): void {
    this.calls.push({ method, req });
    if (this.failing.has(method)) throw this.failure ?? FakeRegistry.unavailable();
    if (this.failure) throw this.failure;
  }

  /** What recordInform names as the poke the session answers (the registry decides that from its lastPoke). */
  pokeRequestId: string | undefined;

  async verifyCredentials(req: VerifyCredentialsRequest): Promise<VerifyCredentialsReply> {
    this.#enter('verifyCredentials', req);
    const cred = this.credentials.get(req.username);
    if (!cred) return { ok: false, reason: 'unknown_username' };
    let good: boolean;
    if (req.proof.scheme === 'basic') {
      good = req.proof.password === cred.password;
    } else {
      const p = req.proof;
      const ha1 = md5(`${req.username}:${p.realm}:${cred.password}`);
      const ha2 = md5(`${p.method}:${p.uri}`);
      const expected = p.qop === undefined ? md5(`${ha1}:${p.nonce}:${ha2}`) : md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
      good = expected === p.response;
    }
    if (!good) return { ok: false, reason: 'bad_password' };
    if (cred.deviceId !== undefined && cred.deviceId !== req.deviceId) return { ok: false, reason: 'wrong_device' };
    return cred.deviceId === undefined
      ? { ok: true, scope: 'type', credentialId: `cred-${req.username}`, deviceTypeId: 'type-1' }
      : { ok: true, scope: 'device', credentialId: `cred-${req.username}` };
  }

  async recordInform(req: RecordInformRequest): Promise<RecordInformReply> {
    this.#enter('recordInform', req);
    this.informs.push(req);
    return { deviceId: req.deviceId, registered: true, ...(this.pokeRequestId === undefined ? {} : { pokeRequestId: this.pokeRequestId }) };
  }

  async cpeRequest(req: CpeRequestRequest): Promise<CpeRequestReply> {
    this.#enter('cpeRequest', req);
    this.cpeRequests.push(req);
    switch (req.request.name) {
      case 'TransferComplete':
        return { response: { name: 'TransferCompleteResponse' } };
      case 'GetRPCMethods':
        return { response: { name: 'GetRPCMethodsResponse', methodList: ['Inform', 'GetRPCMethods', 'TransferComplete'] } };
      default:
        return { fault: { code: 8000, message: `${req.request.name} not supported` } };
    }
  }

  async nextAction(req: NextActionRequest): Promise<NextActionReply> {
    this.#enter('nextAction', req);
    const next = this.tasks.get(req.deviceId)?.shift();
    return next ? { action: 'rpc', rpc: next.rpc, taskId: next.taskId } : { action: 'none' };
  }

  async recordResult(req: RecordResultRequest): Promise<RecordResultReply> {
    this.#enter('recordResult', req);
    this.results.push(req);
    return { ok: true };
  }
}
