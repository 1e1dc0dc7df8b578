import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createSecretBox } from '../secrets.js';
import { mergeDevice, newDeviceType } from '../store/records.js';
import type { ConnectionRequestPolicyInput, Device, DeviceType, DeviceUpsert } from '../store/types.js';
import { pokeRequestIdFor } from './last-poke.js';
import { addressScope, normaliseIp, planConnectionRequest, type PlanInput, type RoutePlan } from './route-plan.js';

const NOW = Date.UTC(2026, 10, 26, 9, 0, 0);
const box = createSecretBox(randomBytes(32).toString('base64'));
const otherBox = createSecretBox(randomBytes(32).toString('base64'));

function device(fields: Partial<DeviceUpsert> = {}): Device {
  return mergeDevice(null, { id: '02A0C5-SimGW-SN1', oui: '02A0C5', productClass: 'SimGW', serialNumber: 'SN1', ...fields }, NOW - 60_000);
}

function type(policy?: ConnectionRequestPolicyInput, auth?: DeviceType['connectionRequestAuth']): DeviceType {
  return newDeviceType({ name: 'gw', ...(policy ? { connectionRequestPolicy: policy } : {}), ...(auth ? { connectionRequestAuth: auth } : {}) }, NOW - 60_000);
}

const deviceAuth = (password: string, updatedAt: number, source: 'nbi' | 'profile' | 'learned' = 'profile') => ({
  connectionRequestAuth: { username: 'dev-user', passwordSealed: box.encrypt(password), updatedAt, source },
});
const typeAuth = (password: string, updatedAt: number) => ({ username: 'type-user', passwordSealed: box.encrypt(password), updatedAt });

function plan(d: Device, t: DeviceType | null = null, extra: Partial<PlanInput> = {}): RoutePlan {
  return planConnectionRequest({ requestId: 'req-1', device: d, type: t, secrets: box, now: NOW, ...extra });
}

function commands(p: RoutePlan) {
  if (!('commands' in p)) throw new Error(`expected commands, got no route: ${p.noRoute}`);
  return p.commands;
}

function noRoute(p: RoutePlan): string {
  if (!('noRoute' in p)) throw new Error(`expected no route, got ${p.commands.map((c) => c.transport).join(',')}`);
  return p.noRoute;
}

const everything = {
  sourceIp: '203.0.113.7',
  connectionRequest: {
    connectionRequestURL: 'http://203.0.113.7:7547/crq/q81bd0',
    udpConnectionRequestAddress: '203.0.113.7:40123',
    connReqJabberID: 'cpe1@xmpp.example.net/cwmp',
  },
  ...deviceAuth('cr-secret', NOW - 1_000),
};

describe('planConnectionRequest', () => {
  it('sends HTTP to the ConnectionRequestURL with the device credentials, deadline and issuedAt', () => {
    const d = device({ sourceIp: '198.51.100.4', connectionRequest: { connectionRequestURL: 'http://198.51.100.4:7547/crq/abc' }, ...deviceAuth('s3cret', NOW - 5_000) });
    const p = plan(d);
    expect(commands(p)).toEqual([
      {
        transport: 'http',
        command: {
          requestId: 'req-1',
          deviceId: d.id,
          deadline: new Date(NOW + 30_000).toISOString(),
          issuedAt: new Date(NOW).toISOString(),
          url: 'http://198.51.100.4:7547/crq/abc',
          credentials: { username: 'dev-user', password: 's3cret' },
          allowBasicAuth: false,
        },
      },
    ]);
    // The transports it could not use say why.
    expect(p.skipped.map((s) => s.transport)).toEqual(['xmpp', 'udp']);
    expect(p.skipped[0]?.reason).toContain('ConnReqJabberID');
    expect(p.skipped[1]?.reason).toContain('UDPConnectionRequestAddress');
  });

  it('takes deadline and Basic permission from the type policy', () => {
    const d = device({ connectionRequest: { connectionRequestURL: 'http://127.0.0.1:9/cr' } });
    const [first] = commands(plan(d, type({ deadlineMs: 5_000, allowBasicAuth: true })));
    expect(first?.command.deadline).toBe(new Date(NOW + 5_000).toISOString());
    expect(first).toMatchObject({ transport: 'http', command: { allowBasicAuth: true } });
    // Without any credentials the GET still goes out: some CPEs ask for none.
    expect(first?.command).not.toHaveProperty('credentials');
  });

  it('ends in no_route at once when a private ConnectionRequestURL belongs to a CPE calling from a public address', () => {
    for (const [url, source] of [
      ['http://192.168.1.1:7547/cr', '203.0.113.7'],
      ['http://10.20.30.40:7547/cr', '::ffff:198.51.100.9'],
      ['http://172.16.0.1:7547/cr', '198.51.100.9'],
      ['http://100.64.1.2:7547/cr', '198.51.100.9'],
      ['http://169.254.1.1:7547/cr', '198.51.100.9'],
      ['http://[fd00::1]:7547/cr', '2001:db8::1'],
    ] as const) {
      const reason = noRoute(plan(device({ sourceIp: source, connectionRequest: { connectionRequestURL: url } })));
      expect(reason).toMatch(/(^|; )http: ConnectionRequestURL host .* is a private address while the CPE calls in from public .*: behind NAT/);
    }
  });

  it('still tries HTTP when the source address is private or loopback, or the URL host is loopback or a name', () => {
    for (const [url, source] of [
      ['http://192.168.1.1:7547/cr', '192.168.1.1'],
      ['http://10.0.0.5:7547/cr', '127.0.0.1'],
      ['http://127.0.0.1:7547/cr', '203.0.113.7'],
      ['http://cpe.example.net:7547/cr', '203.0.113.7'],
      ['http://10.0.0.5:7547/cr', null],
    ] as const) {
      expect(commands(plan(device({ sourceIp: source, connectionRequest: { connectionRequestURL: url } })))[0]?.transport).toBe('http');
    }
  });

  it('falls back to another transport when HTTP is a NAT dead end', () => {
    const d = device({ ...everything, connectionRequest: { ...everything.connectionRequest, connectionRequestURL: 'http://192.168.1.1:7547/cr' } });
    const p = plan(d, type({ transports: ['http', 'udp', 'xmpp'] }));
    expect(commands(p).map((c) => c.transport)).toEqual(['udp', 'xmpp']);
    expect(commands(p)[0]).toMatchObject({ command: { host: '203.0.113.7', port: 40123, credentials: { username: 'dev-user', password: 'cr-secret' } } });
    expect(p.skipped).toEqual([{ transport: 'http', reason: expect.stringContaining('behind NAT') }]);
  });

  it('orders the commands by the type policy, leaving out transports it does not list', () => {
    const d = device(everything);
    // By default XMPP goes first: a device has a ConnReqJabberID only once XMPP was set up for it.
    expect(commands(plan(d)).map((c) => c.transport)).toEqual(['xmpp', 'http', 'udp']);
    expect(commands(plan(d, type({ transports: ['http', 'udp', 'xmpp'] }))).map((c) => c.transport)).toEqual(['http', 'udp', 'xmpp']);
    const p = plan(d, type({ transports: ['udp', 'http'] }));
    expect(commands(p).map((c) => c.transport)).toEqual(['udp', 'http']);
    expect(commands(p)[0]?.command).toMatchObject({ requestId: 'req-1', deviceId: d.id, host: '203.0.113.7' });
    expect(noRoute(plan(d, type({ transports: [] })))).toBe('the device type allows no connection-request transport');
  });

  it('needs credentials for UDP and XMPP, and an IP address for UDP (port 80 when none is given)', () => {
    const bare = device({ ...everything, connectionRequestAuth: null, connectionRequest: { ...everything.connectionRequest, connectionRequestURL: null } });
    expect(noRoute(plan(bare))).toBe(
      'xmpp: XMPP connection requests carry ConnectionRequestUsername/Password and none are known; http: the device reported no ConnectionRequestURL; udp: UDP connection requests are signed with ConnectionRequestUsername/Password and none are known',
    );
    const named = device({ ...everything, connectionRequest: { connectionRequestURL: null, udpConnectionRequestAddress: 'cpe.example.net:4000', connReqJabberID: null } });
    expect(noRoute(plan(named))).toContain('udp: UDPConnectionRequestAddress cpe.example.net:4000 is not an IP address');
    const noPort = device({ ...everything, connectionRequest: { connectionRequestURL: null, udpConnectionRequestAddress: '198.51.100.20', connReqJabberID: null } });
    expect(commands(plan(noPort))[0]?.command).toMatchObject({ host: '198.51.100.20', port: 80 });
    const v6 = device({ ...everything, sourceIp: '2001:db8::7', connectionRequest: { connectionRequestURL: null, udpConnectionRequestAddress: '[2001:db8::7]:5000', connReqJabberID: null } });
    expect(commands(plan(v6))[0]?.command).toMatchObject({ host: '2001:db8::7', port: 5000 });
    const privateUdp = device({ ...everything, connectionRequest: { connectionRequestURL: null, udpConnectionRequestAddress: '192.168.1.1:4000', connReqJabberID: null } });
    expect(noRoute(plan(privateUdp))).toContain('is private while the CPE calls in from public 203.0.113.7');
  });

  it('dates the UDP address by the newer of the last Inform and the STUN binding, and omits it when neither is known', () => {
    const udpOnly = (seenAt: number | null, lastInformAt: number | null) =>
      device({ ...everything, lastInformAt, connectionRequest: { connectionRequestURL: null, connReqJabberID: null, udpConnectionRequestAddress: '203.0.113.7:40123', udpConnectionRequestAddressSeenAt: seenAt } });
    expect(commands(plan(udpOnly(NOW - 5_000, NOW - 60_000)))[0]?.command).toMatchObject({ addressSeenAt: new Date(NOW - 5_000).toISOString() });
    expect(commands(plan(udpOnly(NOW - 60_000, NOW - 5_000)))[0]?.command).toMatchObject({ addressSeenAt: new Date(NOW - 5_000).toISOString() });
    expect(commands(plan(udpOnly(null, null)))[0]?.command).not.toHaveProperty('addressSeenAt');
  });

  it('plans UDP to a loopback binding of a CPE calling in from loopback (tests): loopback is neither private nor public', () => {
    const local = device({ ...deviceAuth('pw', NOW - 1_000), sourceIp: '127.0.0.1', connectionRequest: { udpConnectionRequestAddress: '127.0.0.1:40123' } });
    expect(commands(plan(local, type({ transports: ['udp'] })))[0]?.command).toMatchObject({ host: '127.0.0.1', port: 40123 });
    const mapped = device({ ...deviceAuth('pw', NOW - 1_000), sourceIp: '::ffff:127.0.0.1', connectionRequest: { udpConnectionRequestAddress: '[::1]:40123' } });
    expect(commands(plan(mapped, type({ transports: ['udp'] })))[0]?.command).toMatchObject({ host: '::1', port: 40123 });
  });

  it('refuses an https: or malformed ConnectionRequestURL and a JID the XMPP contract rejects', () => {
    expect(noRoute(plan(device({ connectionRequest: { connectionRequestURL: 'https://198.51.100.4/cr' } })))).toContain('uses https: where connection requests are plain http:');
    expect(noRoute(plan(device({ connectionRequest: { connectionRequestURL: 'not a url' } })))).toContain('ConnectionRequestURL is not a URL');
    const badJid = device({ ...deviceAuth('x', NOW), connectionRequest: { connReqJabberID: 'no-at-sign' } });
    expect(noRoute(plan(badJid))).toMatch(/xmpp: the xmpp command would be invalid \(jid: /);
  });

  describe('VPN policy', () => {
    const vpnDevice = device({
      sourceIp: '203.0.113.7',
      connectionRequest: { connectionRequestURL: 'http://10.1.2.3:30005/cr/path?x=1' },
      ...deviceAuth('pw', NOW - 1),
    });

    it('rewrites the host from the named parameter, keeps port and path, and attaches the egress', () => {
      const t = type({ vpn: { hostFromParameter: 'Device.X_VPN.IPAddress', egress: { localAddress: '10.8.0.1', proxyUrl: 'http://127.0.0.1:3128' } } });
      const [first] = commands(plan(vpnDevice, t, { params: { 'Device.X_VPN.IPAddress': '10.8.0.42' } }));
      // The private URL of a public CPE is no dead end here: the VPN reaches it.
      expect(first).toMatchObject({
        transport: 'http',
        command: { url: 'http://10.8.0.42:30005/cr/path?x=1', egress: { localAddress: '10.8.0.1', proxyUrl: 'http://127.0.0.1:3128' } },
      });
      const [v6] = commands(plan(vpnDevice, t, { params: { 'Device.X_VPN.IPAddress': 'fd00::42' } }));
      expect(v6?.command).toMatchObject({ url: 'http://[fd00::42]:30005/cr/path?x=1' });
    });

    it('uses the session source address when told to, and says so when no address is known', () => {
      const bySource = type({ vpn: { useSourceIp: true } });
      const [first] = commands(plan(device({ ...vpnDevice, sourceIp: '::ffff:10.8.0.9', connectionRequest: vpnDevice.connectionRequest }), bySource));
      expect(first?.command).toEqual(expect.objectContaining({ url: 'http://10.8.0.9:30005/cr/path?x=1' }));
      expect(first?.command).not.toHaveProperty('egress');
      // The parameter wins over the source address; an empty parameter falls back to it.
      const both = type({ vpn: { hostFromParameter: 'Device.X_VPN.IPAddress', useSourceIp: true } });
      expect(commands(plan(vpnDevice, both, { params: { 'Device.X_VPN.IPAddress': '10.8.0.50' } }))[0]?.command).toMatchObject({ url: 'http://10.8.0.50:30005/cr/path?x=1' });
      expect(commands(plan(vpnDevice, both, { params: { 'Device.X_VPN.IPAddress': '' } }))[0]?.command).toMatchObject({ url: 'http://203.0.113.7:30005/cr/path?x=1' });
      const paramOnly = type({ vpn: { hostFromParameter: 'Device.X_VPN.IPAddress' } });
      expect(noRoute(plan(vpnDevice, paramOnly, { params: {} }))).toMatch(/^xmpp: the device reported no ConnReqJabberID; http: VPN policy: the device's VPN address is unknown \(Device\.X_VPN\.IPAddress holds no IP address\); udp: /);
    });
  });

  describe('credentials', () => {
    const cr = { sourceIp: '127.0.0.1', connectionRequest: { connectionRequestURL: 'http://127.0.0.1:9/cr' } };
    const creds = (p: RoutePlan) => (commands(p)[0]?.command as { credentials?: unknown }).credentials;

    it('takes the newest of the device and the type, the device on a tie', () => {
      expect(creds(plan(device({ ...cr, ...deviceAuth('dev-pw', NOW - 10) }), type(undefined, typeAuth('type-pw', NOW - 20))))).toEqual({ username: 'dev-user', password: 'dev-pw' });
      expect(creds(plan(device({ ...cr, ...deviceAuth('dev-pw', NOW - 30, 'learned') }), type(undefined, typeAuth('type-pw', NOW - 20))))).toEqual({
        username: 'type-user',
        password: 'type-pw',
      });
      expect(creds(plan(device({ ...cr, ...deviceAuth('dev-pw', NOW - 20, 'nbi') }), type(undefined, typeAuth('type-pw', NOW - 20))))).toEqual({ username: 'dev-user', password: 'dev-pw' });
    });

    it('uses type-level credentials when the device has none', () => {
      expect(creds(plan(device(cr), type(undefined, typeAuth('type-pw', NOW - 20))))).toEqual({ username: 'type-user', password: 'type-pw' });
    });

    it('skips credentials it cannot open for the next, and reports no route when none opens', () => {
      const broken = { connectionRequestAuth: { username: 'dev-user', passwordSealed: otherBox.encrypt('x'), updatedAt: NOW, source: 'nbi' as const } };
      expect(creds(plan(device({ ...cr, ...broken }), type(undefined, typeAuth('type-pw', NOW - 20))))).toEqual({ username: 'type-user', password: 'type-pw' });
      expect(noRoute(plan(device({ ...cr, ...broken })))).toBe('connection-request credentials cannot be opened (device credentials: SecretDecryptError)');
    });
  });
});

describe('addressScope', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.128.0.1', 'public'],
    ['169.254.10.10', 'private'],
    ['fc00::1', 'private'],
    ['[fdab::1]', 'private'],
    ['fe80::1%eth0', 'private'],
    ['::ffff:192.168.1.1', 'private'],
    ['127.0.0.2', 'loopback'],
    ['::1', 'loopback'],
    ['203.0.113.7', 'public'],
    ['2001:db8::1', 'public'],
    ['cpe.example.net', 'unknown'],
    [null, 'unknown'],
  ] as const)('%s is %s', (ip, scope) => {
    expect(addressScope(ip)).toBe(scope);
  });

  it('normalises IP literals and rejects the rest', () => {
    expect(normaliseIp(' [::ffff:10.0.0.1] ')).toBe('10.0.0.1');
    expect(normaliseIp('999.1.1.1')).toBeNull();
    expect(normaliseIp('')).toBeNull();
  });
});

describe('pokeRequestIdFor', () => {
  const poked = { lastPoke: { requestId: 'req-9', at: NOW - 10_000 } };

  it('names the recent poke of an Inform with 6 CONNECTION REQUEST', () => {
    expect(pokeRequestIdFor(poked, ['1 BOOT', '6 CONNECTION REQUEST'], NOW)).toBe('req-9');
  });

  it('names none without the event, for an old poke, or without a poke', () => {
    expect(pokeRequestIdFor(poked, ['2 PERIODIC'], NOW)).toBeUndefined();
    expect(pokeRequestIdFor(poked, ['6 CONNECTION REQUEST'], NOW + 5 * 60_000)).toBeUndefined();
    expect(pokeRequestIdFor({ lastPoke: null }, ['6 CONNECTION REQUEST'], NOW)).toBeUndefined();
    expect(pokeRequestIdFor(null, ['6 CONNECTION REQUEST'], NOW)).toBeUndefined();
  });
});
