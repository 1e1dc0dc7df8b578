// A real CPE holds one TCP connection for a whole session and opens a new one for the next;
// ACSs that bind a session to its socket (GenieACS) fail anything else with "Invalid session".
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Cpe } from '../src/index.js';
import { makeCpe } from './support/make-cpe.js';
import { startTestAcs, type TestAcs } from './support/test-acs.js';
import { waitFor } from './support/wait-for.js';

let acs: TestAcs | undefined;
let cpe: Cpe | undefined;

afterEach(async () => {
  await cpe?.stop();
  await acs?.close();
  cpe = undefined;
  acs = undefined;
});

const distinct = (ports: number[]) => [...new Set(ports)];

describe('the TCP connections of a simulated CPE', () => {
  it('one per session: the Digest challenge, the Inform, RPC answers and the empty POST share it, and it is closed at the end', async () => {
    const server = await startTestAcs({ auth: 'digest', username: 'cpe-1', password: 's3cret' });
    acs = server;
    cpe = makeCpe({ acsUrl: server.url, username: 'cpe-1', password: 's3cret' });
    server.queue('SIM000001', { name: 'GetParameterValues', parameterNames: ['Device.ManagementServer.PeriodicInformInterval'] });
    await cpe.start({ inform: false });

    expect((await cpe.inform()).ok).toBe(true);
    // 401 challenge, Inform, GPV answer, empty POST ended by the 204.
    expect(server.statuses).toEqual([401, 200, 200, 204]);
    const session1 = distinct(server.clientPorts);
    expect(session1).toHaveLength(1);
    // Closed by the CPE, not by the server or at stop().
    await waitFor(() => server.openConnections() === 0, 2_000, () => `session 1's connection to close (${server.openConnections()} open)`);

    const first = server.clientPorts.length;
    expect((await cpe.inform(['2 PERIODIC'])).ok).toBe(true);
    expect(server.statuses.slice(first)).toEqual([401, 200, 204]);
    const session2 = distinct(server.clientPorts.slice(first));
    expect(session2).toHaveLength(1);
    expect(session2[0]).not.toBe(session1[0]);
    await waitFor(() => server.openConnections() === 0, 2_000, () => `session 2's connection to close (${server.openConnections()} open)`);
  });

  it('opens a new connection when the server closes it after the 401, and keeps that one for the rest of the session', async () => {
    const server = await startTestAcs({ auth: 'digest', username: 'cpe-1', password: 's3cret', closeOn401: true });
    acs = server;
    cpe = makeCpe({ acsUrl: server.url, username: 'cpe-1', password: 's3cret' });
    await cpe.start({ inform: false });

    expect((await cpe.inform()).ok).toBe(true);
    expect(server.statuses).toEqual([401, 200, 204]);
    const [challenge, ...rest] = server.clientPorts;
    expect(distinct(rest)).toHaveLength(1);
    expect(rest[0]).not.toBe(challenge);
  });
});
