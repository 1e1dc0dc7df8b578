import { randomBytes } from 'node:crypto';
import { deviceIdFromParts } from '@acs/contracts';
import { createFleet, type Cpe, type Fleet, type FleetOptions, type SessionResult } from '@acs/cpe-sim';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compactTr181Model } from './compact-model.js';
import { startFileServer, type FileServer } from './file-server.js';
import type { NbiClient } from './nbi-client.js';
import { waitFor } from './poll.js';

/** An ACS under test, whatever its shape (separate processes or all-in-one). */
export interface AcsUnderTest {
  readonly cwmpUrl: string;
  readonly nbi: NbiClient;
  readonly onboarding: { username: string; password: string };
}

export function deviceIdOf(cpe: Cpe): string {
  return deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
}

const fleets: Fleet[] = [];

/**
 * A started fleet without connection-request listeners (nothing pokes here) and without automatic retries.
 * The compact TR-181 model unless told otherwise: the bundled models' ~450 parameters make every first
 * contact a long discovery, which only the onboarding tests need.
 */
export async function startFleet(acs: AcsUnderTest, options: Partial<FleetOptions> & { serialPrefix: string }): Promise<Fleet> {
  const fleet = createFleet({ acsUrl: acs.cwmpUrl, count: 1, model: compactTr181Model(), connectionRequest: false, retry: false, httpTimeoutMs: 60_000, ...options });
  fleets.push(fleet);
  await fleet.start();
  return fleet;
}

export async function stopFleets(): Promise<void> {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
}

/** The only CPE of a one-CPE fleet. */
export function only(fleet: Fleet): Cpe {
  return fleet.cpes[0] as Cpe;
}

/** Runs one session and returns its result; a failed one is shown with its cause. */
export async function session(cpe: Cpe, events: string[] = ['2 PERIODIC']): Promise<SessionResult> {
  return cpe.inform(events);
}

function describeFailure(r: SessionResult): string {
  return r.ok ? 'ok' : `${r.error?.code ?? '?'}: ${r.error?.message ?? ''}`;
}

export function expectOk(r: SessionResult): void {
  expect(describeFailure(r)).toBe('ok');
}

/** An onboarded TR-181 CPE (compact model; boot session done with the onboarding credentials). */
export async function onboardedCpe(acs: AcsUnderTest, serialPrefix: string): Promise<Cpe> {
  const fleet = await startFleet(acs, { serialPrefix, username: acs.onboarding.username, password: acs.onboarding.password });
  const cpe = only(fleet);
  expectOk(await session(cpe, []));
  return cpe;
}

/**
 * The end-to-end core every shape of the ACS must pass: onboarding (TR-181 and TR-098), per-device
 * credentials, refused logins, NBI tasks run at the next Inform, CPE faults, Reboot, FactoryReset and
 * Download round trips.
 */
export function describeAcsCore(getAcs: () => AcsUnderTest): void {
  let files: FileServer;
  const firmware = randomBytes(64 * 1024);
  beforeAll(async () => {
    files = await startFileServer(firmware);
  });
  afterAll(async () => {
    await stopFleets();
    await files.stop();
  });

  describe('onboarding by device-type credentials', () => {
    it.each(['tr181', 'tr098'] as const)('admits a %s fleet, registers it and moves each CPE to credentials of its own', async (model) => {
      const acs = getAcs();
      const fleet = await startFleet(acs, { serialPrefix: `OB${model.toUpperCase()}`, count: 2, model, username: acs.onboarding.username, password: acs.onboarding.password });
      const results = await fleet.run({ sessions: 2 });
      expect(results.map(describeFailure)).toEqual(['ok', 'ok']);
      const root = model === 'tr181' ? 'Device.' : 'InternetGatewayDevice.';
      for (const cpe of fleet.cpes) {
        const id = deviceIdOf(cpe);
        const device = await acs.nbi.device(id, `${root}DeviceInfo.SerialNumber`);
        expect(device.parameters?.[0]?.value).toBe(cpe.deviceId.serialNumber);
        // The onboarding SetParameterValues gave the CPE a username of its own, and the credential became active.
        const username = cpe.model.getValue(`${root}ManagementServer.Username`);
        expect(username).not.toBe(acs.onboarding.username);
        const credentials = await acs.nbi.credentials(id);
        expect(credentials.map((c) => [c.username, c.status])).toContainEqual([username, 'active']);
        // ...and the next session logs in with it.
        expectOk(await session(cpe));
      }
    });
  });

  describe('per-device credentials and refused logins', () => {
    let owner: Cpe;
    const password = randomBytes(9).toString('base64url');

    it('admits a CPE with a credential created for it through the NBI before its first contact', async () => {
      const acs = getAcs();
      const fleet = await startFleet(acs, { serialPrefix: 'PD', username: 'pd-user-1', password });
      owner = only(fleet);
      await acs.nbi.createDeviceCredential(deviceIdOf(owner), 'pd-user-1', password);
      expectOk(await session(owner, []));
      expect(await acs.nbi.deviceStatus(deviceIdOf(owner))).toBe(200);
    });

    it('answers a wrong password with 401 (AUTH_FAILED is the simulator seeing 401 after its Digest answer) and registers nothing', async () => {
      const acs = getAcs();
      const cpe = only(await startFleet(acs, { serialPrefix: 'WP', username: acs.onboarding.username, password: `${acs.onboarding.password}x` }));
      const result = await session(cpe, []);
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe('AUTH_FAILED');
      expect(await acs.nbi.deviceStatus(deviceIdOf(cpe))).toBe(404);
    });

    it('refuses a CPE presenting the credential of another device (impersonation)', async () => {
      const acs = getAcs();
      const intruder = only(await startFleet(acs, { serialPrefix: 'IMP', username: 'pd-user-1', password }));
      const result = await session(intruder, []);
      expect(result.error?.code).toBe('AUTH_FAILED');
      expect(await acs.nbi.deviceStatus(deviceIdOf(intruder))).toBe(404);
      // The owner still gets in.
      expectOk(await session(owner));
    });
  });

  describe('tasks created through the NBI', () => {
    let cpe: Cpe;
    let id: string;
    beforeAll(async () => {
      cpe = await onboardedCpe(getAcs(), 'TASK');
      id = deviceIdOf(cpe);
    });

    it('runs them at the next Inform, ends them done and shows the values', async () => {
      const { nbi } = getAcs();
      const get = await nbi.createTask(id, { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.UpTime'] } });
      const set = await nbi.createTask(id, { type: 'setParameterValues', args: { parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '1234' }] } });
      expect([get.status, set.status]).toEqual(['pending', 'pending']);
      const result = await session(cpe);
      expectOk(result);
      expect(result.rpcs).toEqual(expect.arrayContaining(['GetParameterValues', 'SetParameterValues']));
      expect((await nbi.task(get.id)).status).toBe('done');
      expect((await nbi.task(set.id)).status).toBe('done');
      expect(cpe.model.getValue('Device.ManagementServer.PeriodicInformInterval')).toBe('1234');
      expect(await nbi.value(id, 'Device.ManagementServer.PeriodicInformInterval')).toBe('1234');
      expect(await nbi.value(id, 'Device.DeviceInfo.SoftwareVersion')).toBe(cpe.model.getValue('Device.DeviceInfo.SoftwareVersion'));
    });

    it.each([
      ['9005', 'an unknown parameter name', { type: 'getParameterValues', args: { parameterNames: ['Device.NoSuchObject.Value'] } }, undefined],
      ['9007', 'a value of the wrong xsi:type', { type: 'setParameterValues', args: { parameterList: [{ name: 'Device.ManagementServer.PeriodicInformEnable', value: 'yes please', type: 'xsd:string' }] } }, '9003'],
      ['9008', 'a read-only parameter', { type: 'setParameterValues', args: { parameterList: [{ name: 'Device.DeviceInfo.SerialNumber', value: 'X' }] } }, '9003'],
    ])('ends the task fault with %s for %s, as the CPE answered', async (code, _what, task, envelope) => {
      const { nbi } = getAcs();
      const created = await nbi.createTask(id, { ...task, maxAttempts: 1 });
      const result = await session(cpe);
      expectOk(result);
      expect(result.faults).toContain(Number(envelope ?? code));
      const finished = await nbi.waitTaskFinished(created.id);
      expect(finished.status).toBe('fault');
      expect(finished.fault?.code).toBe(envelope ?? code);
      if (envelope !== undefined) {
        // SetParameterValues faults are 9003 with the per-parameter code inside (TR-069 A.3.2.1).
        const [fault] = await nbi.faults(created.id);
        expect(JSON.stringify(fault?.detail)).toContain(`"faultCode":${code}`);
      }
    });

    it('round-trips a Reboot: RebootResponse, then a 1 BOOT + M Reboot session', async () => {
      const { nbi } = getAcs();
      const created = await nbi.createTask(id, { type: 'reboot', args: { commandKey: 'e2e-reboot' } });
      const sessions: SessionResult[] = [];
      const off = cpe.onSession((r) => sessions.push(r));
      try {
        const result = await session(cpe);
        expectOk(result);
        expect(result.rpcs).toContain('Reboot');
        const boot = await waitFor('the boot session after Reboot', async () => sessions.find((s) => s.events.includes('M Reboot')), 60_000);
        expectOk(boot);
        expect(boot.events).toContain('1 BOOT');
      } finally {
        off();
      }
      expect((await nbi.waitTaskFinished(created.id)).status).toBe('done');
    });

    it('round-trips a Download of a file served by the test: TransferComplete ends the task done', async () => {
      const { nbi } = getAcs();
      const before = files.downloads;
      const created = await nbi.createTask(id, {
        type: 'download',
        args: { url: files.url, fileType: '1 Firmware Upgrade Image', fileSize: firmware.length, commandKey: 'e2e-fw' },
      });
      const result = await session(cpe);
      expectOk(result);
      expect(result.rpcs).toContain('Download');
      const finished = await nbi.waitTaskFinished(created.id, 60_000);
      expect(finished.status).toBe('done');
      expect(files.downloads).toBe(before + 1);
    });
  });

  it('round-trips a FactoryReset: the CPE comes back with 0 BOOTSTRAP and is rediscovered', async () => {
    const acs = getAcs();
    const password = randomBytes(9).toString('base64url');
    const cpe = only(await startFleet(acs, { serialPrefix: 'FR', username: 'fr-user-1', password }));
    const id = deviceIdOf(cpe);
    await acs.nbi.createDeviceCredential(id, 'fr-user-1', password);
    expectOk(await session(cpe, []));
    const created = await acs.nbi.createTask(id, { type: 'factoryReset', args: {} });
    const sessions: SessionResult[] = [];
    const off = cpe.onSession((r) => sessions.push(r));
    try {
      const result = await session(cpe);
      expectOk(result);
      expect(result.rpcs).toContain('FactoryReset');
      const bootstrap = await waitFor('the bootstrap session after FactoryReset', async () => sessions.find((s) => s.events.includes('0 BOOTSTRAP')), 60_000);
      expectOk(bootstrap);
    } finally {
      off();
    }
    expect((await acs.nbi.waitTaskFinished(created.id)).status).toBe('done');
    expect(await acs.nbi.value(id, 'Device.DeviceInfo.SerialNumber')).toBe(cpe.deviceId.serialNumber);
  });
}
