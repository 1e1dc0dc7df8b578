import { z } from 'zod';
import type {
  AcsRequest,
  AcsResponse,
  CpeRequest,
  CpeResponse,
  CwmpVersion,
  DeviceIdStruct,
  Fault,
  Inform,
} from '@acs/cwmp';
import { createParser } from './validation.js';

// The request/reply contract between cwmp-gateway and device-registry (the registry's micro-service endpoints,
// subjects in `Subjects.registry`). CWMP bodies travel as the codec's plain objects; the schemas check the envelope
// of each request strictly and the CWMP body by its discriminant only, because the codec already validated it.

const sessionId = z.string().min(1).max(128);
const deviceId = z.string().min(1).max(1024);
const taskId = z.string().min(1).max(128);
const timestamp = z.iso.datetime({ offset: true });
const cwmpBody = <T>() => z.object({ name: z.string().min(1) }).passthrough() as unknown as z.ZodType<T>;

const DeviceIdStructSchema = z.object({
  manufacturer: z.string().max(64),
  oui: z.string().max(64),
  productClass: z.string().max(64),
  serialNumber: z.string().min(1).max(64),
}) satisfies z.ZodType<DeviceIdStruct>;

/** Digest (RFC 2617, qop=auth) or Basic proof as the CPE sent it; only the registry holds what checks it. */
export const CredentialProofSchema = z.discriminatedUnion('scheme', [
  z.object({
    scheme: z.literal('digest'),
    realm: z.string().max(256),
    nonce: z.string().max(512),
    uri: z.string().max(2048),
    method: z.string().max(16),
    qop: z.string().max(32).optional(),
    nc: z.string().max(16).optional(),
    cnonce: z.string().max(256).optional(),
    response: z.string().max(128),
  }),
  z.object({ scheme: z.literal('basic'), password: z.string().max(256) }),
]);
export type CredentialProof = z.output<typeof CredentialProofSchema>;

/** `registry.credentialsVerify`: may this login open a session for the device named in the Inform? */
export const VerifyCredentialsRequestSchema = z.object({
  deviceId,
  deviceIdStruct: DeviceIdStructSchema,
  username: z.string().max(256),
  proof: CredentialProofSchema,
  sourceIp: z.string().max(64),
});
export type VerifyCredentialsRequest = z.output<typeof VerifyCredentialsRequestSchema>;

export const CREDENTIAL_REJECTIONS = ['unknown_username', 'bad_password', 'wrong_device', 'disabled'] as const;

/**
 * The CPE→ACS methods the ACS serves: what it answers a CPE's GetRPCMethods with (cwmp-protocol §3.3); the gateway
 * forwards the ones other than Inform to `session.cpe-request` and faults the rest with 8000.
 */
export const CPE_METHODS_SERVED = [
  'Inform',
  'GetRPCMethods',
  'TransferComplete',
  'AutonomousTransferComplete',
  'RequestDownload',
  'Kicked',
  'DUStateChangeComplete',
  'AutonomousDUStateChangeComplete',
] as const satisfies readonly CpeRequest['name'][];
export type CredentialRejection = (typeof CREDENTIAL_REJECTIONS)[number];

export type AuthScope = 'device' | 'type';
export const VerifyCredentialsReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    scope: z.enum(['device', 'type']),
    credentialId: z.string(),
    deviceTypeId: z.string().optional(),
  }),
  z.object({ ok: z.literal(false), reason: z.enum(CREDENTIAL_REJECTIONS) }),
]);
export type VerifyCredentialsReply = z.output<typeof VerifyCredentialsReplySchema>;

/** `registry.informRecord`: persist the device, the Inform's parameters and events before InformResponse. */
export const RecordInformRequestSchema = z.object({
  sessionId,
  deviceId,
  cwmpVersion: z.enum(['1.0', '1.1', '1.2', '1.3', '1.4']) as z.ZodType<CwmpVersion>,
  inform: cwmpBody<Inform>(),
  sourceIp: z.string().max(64),
  auth: z.object({
    scope: z.enum(['device', 'type']),
    credentialId: z.string(),
    deviceTypeId: z.string().optional(),
    username: z.string().max(256),
  }),
  receivedAt: timestamp,
});
export type RecordInformRequest = z.output<typeof RecordInformRequestSchema>;
export const RecordInformReplySchema = z.object({
  deviceId,
  registered: z.boolean(),
  /** With `6 CONNECTION REQUEST`: the requestId of the device's recent poke, for the gateway's `session.started`. */
  pokeRequestId: z.string().min(1).max(128).optional(),
});
export type RecordInformReply = z.output<typeof RecordInformReplySchema>;

/** `registry.sessionCpeRequest`: a CPE-initiated RPC other than Inform (TransferComplete, RequestDownload, ...). */
export const CpeRequestRequestSchema = z.object({
  sessionId,
  deviceId,
  request: cwmpBody<Exclude<CpeRequest, Inform>>(),
});
export type CpeRequestRequest = z.output<typeof CpeRequestRequestSchema>;
export const CpeRequestReplySchema = z.union([
  z.object({ response: cwmpBody<AcsResponse>() }),
  z.object({ fault: z.object({ code: z.number().int(), message: z.string() }) }),
]);
export type CpeRequestReply = z.output<typeof CpeRequestReplySchema>;

/** `registry.sessionNext`: the next ACS request for this session, or none (the gateway then answers 204). */
export const NextActionRequestSchema = z.object({ sessionId, deviceId });
export type NextActionRequest = z.output<typeof NextActionRequestSchema>;
export const NextActionReplySchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('rpc'), rpc: cwmpBody<AcsRequest>(), taskId }),
  z.object({ action: z.literal('none') }),
]);
export type NextActionReply = z.output<typeof NextActionReplySchema>;

/** `registry.sessionResult`: what the CPE answered to the RPC of `taskId` (or that it never answered). */
export const RecordResultRequestSchema = z.object({
  sessionId,
  deviceId,
  taskId,
  method: z.string().min(1).max(64),
  outcome: z.union([
    z.object({ response: cwmpBody<CpeResponse>() }),
    z.object({ fault: cwmpBody<Fault>() }),
    z.object({ timeout: z.literal(true) }),
  ]),
});
export type RecordResultRequest = z.output<typeof RecordResultRequestSchema>;
export const RecordResultReplySchema = z.object({ ok: z.literal(true) });
export type RecordResultReply = z.output<typeof RecordResultReplySchema>;

export const parseVerifyCredentialsRequest = createParser('VerifyCredentialsRequest', VerifyCredentialsRequestSchema);
export const parseVerifyCredentialsReply = createParser('VerifyCredentialsReply', VerifyCredentialsReplySchema);
export const parseRecordInformRequest = createParser('RecordInformRequest', RecordInformRequestSchema);
export const parseRecordInformReply = createParser('RecordInformReply', RecordInformReplySchema);
export const parseCpeRequestRequest = createParser('CpeRequestRequest', CpeRequestRequestSchema);
export const parseCpeRequestReply = createParser('CpeRequestReply', CpeRequestReplySchema);
export const parseNextActionRequest = createParser('NextActionRequest', NextActionRequestSchema);
export const parseNextActionReply = createParser('NextActionReply', NextActionReplySchema);
export const parseRecordResultRequest = createParser('RecordResultRequest', RecordResultRequestSchema);
export const parseRecordResultReply = createParser('RecordResultReply', RecordResultReplySchema);

/**
 * The registry as the gateway sees it. `BusRegistryClient` (in cwmp-gateway) implements it over request/reply;
 * the all-in-one app uses the same client over the in-process bus. Rejections that are expected outcomes
 * (wrong password) are values; infrastructure failures throw.
 */
export interface RegistryClient {
  verifyCredentials(req: VerifyCredentialsRequest): Promise<VerifyCredentialsReply>;
  recordInform(req: RecordInformRequest): Promise<RecordInformReply>;
  cpeRequest(req: CpeRequestRequest): Promise<CpeRequestReply>;
  nextAction(req: NextActionRequest): Promise<NextActionReply>;
  recordResult(req: RecordResultRequest): Promise<RecordResultReply>;
}
