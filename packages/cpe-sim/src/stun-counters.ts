/** What became of a datagram on the UDP connection-request port that was not STUN. */
export const UDP_CR_OUTCOMES = ['accepted', 'duplicate', 'stale', 'bad_username', 'bad_signature', 'invalid', 'rate_limited'] as const;
export type UdpConnectionRequestOutcome = (typeof UDP_CR_OUTCOMES)[number];

/** Counters of one CPE's STUN client and UDP connection-request listener (summed by `fleet.stunStatus()`). */
export interface StunCounters {
  /** Binding transactions started (their retransmissions not included). */
  bindingRequests: number;
  retransmissions: number;
  /** Binding transactions that got no answer after the last retransmission. */
  timeouts: number;
  bindingResponses: number;
  /** Binding Error Responses, the 401s included. */
  bindingErrors: number;
  unauthorized: number;
  /** Mapped address changes seen (each one sends a BINDING-CHANGE request). */
  bindingChanges: number;
  /** Sends that failed (unresolvable server, unreachable network) and socket errors. */
  socketErrors: number;
  udpConnectionRequests: Record<UdpConnectionRequestOutcome, number>;
}

export function newStunCounters(): StunCounters {
  return {
    bindingRequests: 0,
    retransmissions: 0,
    timeouts: 0,
    bindingResponses: 0,
    bindingErrors: 0,
    unauthorized: 0,
    bindingChanges: 0,
    socketErrors: 0,
    udpConnectionRequests: Object.fromEntries(UDP_CR_OUTCOMES.map((o) => [o, 0])) as Record<UdpConnectionRequestOutcome, number>,
  };
}

/** Adds `from` into `into` (fleet totals). */
export function addStunCounters(into: StunCounters, from: Readonly<StunCounters>): StunCounters {
  for (const key of Object.keys(from) as (keyof StunCounters)[]) {
    if (key === 'udpConnectionRequests') for (const o of UDP_CR_OUTCOMES) into.udpConnectionRequests[o] += from.udpConnectionRequests[o];
    else into[key] += from[key];
  }
  return into;
}
