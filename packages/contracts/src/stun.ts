import { z } from 'zod';
import { createParser } from './validation.js';

// TR-111 STUN (Annex G): connreq-stun runs the STUN server, so it learns each CPE's NAT binding the moment it
// changes. The registry provisions the CPE's ManagementServer.STUN* parameters with credentials connreq-stun issues,
// tells connreq-stun per STUN username whether integrity is required, and stores the bindings it announces.

const timestamp = z.iso.datetime({ offset: true });
const deviceId = z.string().min(1).max(1024);
const ip = z.union([z.ipv4(), z.ipv6()]);
const port = z.number().int().min(1).max(65_535);
// TR-181 ManagementServer.STUNUsername / STUNPassword are string(256).
const stunUsername = z.string().min(1).max(256);

/** `<prefix>.stun.credentials.issue`: the STUN settings to give this device. */
export const StunCredentialsRequestSchema = z.object({ deviceId });

/** ManagementServer.STUNServerAddress/Port/Username/Password for the device (the password is derived, stored nowhere). */
export const StunCredentialsReplySchema = z.object({
  username: stunUsername,
  password: z.string().min(16).max(256),
  server: z.object({ address: z.string().min(1).max(256), port }),
});

/** `<prefix>.registry.stun.device`: who sends Binding Requests as this STUN username, and on what terms. */
export const StunDeviceRequestSchema = z.object({ username: stunUsername });

export const StunDeviceReplySchema = z.object({
  deviceId,
  /** The device's type requires MESSAGE-INTEGRITY: requests without valid integrity get 401 and are not recorded. */
  requireAuth: z.boolean(),
  /** STUNMaximumKeepAlivePeriod given to the device (s; -1 none): a binding not refreshed in about twice that is stale. */
  maximumKeepAlivePeriod: z.number().int().min(-1),
});

export const STUN_BINDING_REASONS = ['new', 'moved', 'binding-change'] as const;

/** `<prefix>.evt.stun.<id>.binding`: the device's public UDP connection-request address changed (or was first seen). */
export const StunBindingEventSchema = z.object({
  deviceId,
  host: ip,
  port,
  observedAt: timestamp,
  reason: z.enum(STUN_BINDING_REASONS),
  previous: z.object({ host: ip, port }).optional(),
  /** The connreq-stun replica whose socket the CPE's keep-alives reach (it sends the connection requests). */
  replica: z.string().min(1).max(256),
});

/** `<prefix>.stun.relay.<replica>`: send this datagram from your STUN socket (you hold the CPE's binding). */
export const StunRelayRequestSchema = z.object({
  host: ip,
  port,
  /** The Annex G datagram, base64. */
  datagram: z.string().min(1).max(4096),
  copies: z.number().int().min(1).max(10),
  intervalMs: z.number().int().min(0).max(5_000),
});

export const StunRelayReplySchema = z.object({ sent: z.number().int().nonnegative() });

export type StunCredentialsRequest = z.infer<typeof StunCredentialsRequestSchema>;
export type StunCredentialsReply = z.infer<typeof StunCredentialsReplySchema>;
export type StunDeviceRequest = z.infer<typeof StunDeviceRequestSchema>;
export type StunDeviceReply = z.infer<typeof StunDeviceReplySchema>;
export type StunBindingReason = (typeof STUN_BINDING_REASONS)[number];
export type StunBindingEvent = z.infer<typeof StunBindingEventSchema>;
export type StunRelayRequest = z.infer<typeof StunRelayRequestSchema>;
export type StunRelayReply = z.infer<typeof StunRelayReplySchema>;

export const parseStunCredentialsRequest = createParser('StunCredentialsRequest', StunCredentialsRequestSchema);
export const parseStunCredentialsReply = createParser('StunCredentialsReply', StunCredentialsReplySchema);
export const parseStunDeviceRequest = createParser('StunDeviceRequest', StunDeviceRequestSchema);
export const parseStunDeviceReply = createParser('StunDeviceReply', StunDeviceReplySchema);
export const parseStunBindingEvent = createParser('StunBindingEvent', StunBindingEventSchema);
export const parseStunRelayRequest = createParser('StunRelayRequest', StunRelayRequestSchema);
export const parseStunRelayReply = createParser('StunRelayReply', StunRelayReplySchema);
