import { learnConnectionRequestAuth, storableValue } from './learned-credentials.js';
import { pokeRequestIdFor } from './router/last-poke.js';
import type { RecordInformReply, RecordInformRequest } from '@acs/contracts';
import type { RegistryDeps } from './deps.js';
import { publishDeviceRegistered } from './events.js';
import { startOnboarding, systemTaskInput } from './onboarding.js';
import { buildProfileArgs, profileParameterKey, rootOf, type DataModelRoot } from './profiles.js';
import type { ConnectionRequestInfo, Device, DeviceType, DeviceUpsert, Task, TaskInput } from './store/types.js';
import { TASK_PRIORITY, systemSetArgs } from './task-meta.js';

const BOOTSTRAP = '0 BOOTSTRAP';
const BOOT = '1 BOOT';

function truthy(value: string): boolean {
  return value === '1' || value.toLowerCase() === 'true';
}

/** Connection-request data the Inform carries (forced or notified ManagementServer parameters). */
function connectionRequestFrom(values: Map<string, string>, root: DataModelRoot, now: number): Partial<ConnectionRequestInfo> {
  const ms = (name: string) => values.get(`${root}ManagementServer.${name}`);
  const out: Partial<ConnectionRequestInfo> = {};
  const url = ms('ConnectionRequestURL');
  if (url !== undefined) out.connectionRequestURL = url === '' ? null : url;
  const udp = ms('UDPConnectionRequestAddress');
  if (udp !== undefined) {
    out.udpConnectionRequestAddress = udp === '' ? null : udp;
    // Dated, so a STUN binding event older than this report (a replay) cannot overwrite it.
    out.udpConnectionRequestAddressSeenAt = udp === '' ? null : now;
  }
  const nat = ms('NATDetected');
  if (nat !== undefined) out.natDetected = truthy(nat);
  const jid = ms('ConnReqJabberID');
  if (jid !== undefined) out.connReqJabberID = jid === '' ? null : jid;
  return out;
}

/**
 * informRecord: persists the device, its type binding, connection-request data and the Inform's
 * parameters before the gateway answers InformResponse, then queues what the events ask for
 * (cwmp-protocol §4.3): on 0 BOOTSTRAP (or first contact) the cached tree is forgotten, the profile
 * and a discovery refresh are queued; on 1 BOOT the profile again. First contact through type
 * credentials starts onboarding.
 */
export async function recordInform(deps: RegistryDeps, req: RecordInformRequest): Promise<RecordInformReply> {
  const { store } = deps;
  const parsedAt = Date.parse(req.receivedAt);
  const now = Number.isFinite(parsedAt) ? parsedAt : deps.clock();
  const { inform } = req;
  const events = new Set(inform.event.map((e) => e.eventCode.trim()));
  const bootstrap = events.has(BOOTSTRAP);
  const boot = events.has(BOOT);
  const values = new Map(inform.parameterList.map((p) => [p.name, p.value]));
  const root = rootOf(inform.parameterList.map((p) => p.name));
  const { oui, productClass, serialNumber, manufacturer } = inform.deviceId;

  const upsert: DeviceUpsert = {
    id: req.deviceId,
    oui,
    productClass,
    serialNumber,
    manufacturer,
    // Undefined keeps the type the device has: no read of the device before this write.
    ...(req.auth.deviceTypeId === undefined ? {} : { deviceTypeId: req.auth.deviceTypeId }),
    lastInformAt: now,
    sourceIp: req.sourceIp,
    connectionRequest: connectionRequestFrom(values, root, now),
  };
  const hw = values.get(`${root}DeviceInfo.HardwareVersion`);
  const sw = values.get(`${root}DeviceInfo.SoftwareVersion`);
  if (hw !== undefined) upsert.hardwareVersion = hw;
  if (sw !== undefined) upsert.softwareVersion = sw;
  if (boot) upsert.lastBootAt = now;
  if (bootstrap) {
    upsert.lastBootstrapAt = now;
    // A bootstrapped CPE is factory-fresh: the connection-request credentials we set are gone.
    upsert.connectionRequestAuth = null;
  }
  const learned = learnConnectionRequestAuth(inform.parameterList, deps.secretBox, now);
  if (learned !== null) upsert.connectionRequestAuth = learned;
  const reported = inform.parameterList.map((p) => ({ path: p.name, value: storableValue(p.name, p.value), type: `xsd:${p.type}` }));
  // 0 BOOTSTRAP: the cached tree is stale (cwmp-protocol §4.3) and goes before the reported values are written;
  // any other Inform writes the device and its values in one store call.
  const upserted = bootstrap ? await store.upsertDevice(upsert, now) : await store.recordInform(upsert, reported, now);
  const { created } = upserted;
  let { device } = upserted;
  if (bootstrap) {
    if (!created) {
      await store.deleteParameterSubtree(device.id, 'Device.');
      await store.deleteParameterSubtree(device.id, 'InternetGatewayDevice.');
    }
    if (reported.length > 0) await store.upsertParameters(device.id, reported, now);
  }
  let matched: DeviceType | null = null;
  if (device.deviceTypeId === null) {
    // Untyped so far (a device credential, or types added since): bind it to the type it matches now.
    matched = await store.matchDeviceType(oui, productClass, serialNumber);
    if (matched !== null) device = (await store.upsertDevice({ id: device.id, oui, productClass, serialNumber, deviceTypeId: matched.id }, now)).device;
  }

  // The type is read only when this Inform has something to do with it (onboarding, profile, registration).
  const needsType = req.auth.scope === 'type' || bootstrap || boot || created;
  const type: DeviceType | null = matched ?? (device.deviceTypeId === null || !needsType ? null : await store.getDeviceType(device.deviceTypeId));
  const reportedKey = values.get(`${root}ManagementServer.ParameterKey`) ?? '';
  if (req.auth.scope === 'type' && type !== null) await startOnboarding(deps, device, type, root, reportedKey, now);
  // A device seen for the first time without 0 BOOTSTRAP (it moved from another ACS) is as unknown as a bootstrapped one.
  const wantProfile = type !== null && (bootstrap || boot || created);
  const wantDiscovery = bootstrap || created;
  if (wantProfile || wantDiscovery) {
    // One read of the queue and one write for both (each is skipped when an equal one is already queued).
    const open = await store.openTasks(device.id);
    const profile = wantProfile ? profileTasks(deps, device, type, root, reportedKey, open, now) : [];
    const queue = [...profile, wantDiscovery ? discoveryTask(deps, root, open, now) : null].filter((t): t is TaskInput => t !== null);
    if (queue.length > 0) await store.createTasks(device.id, queue, now);
  }

  if (created) publishDeviceRegistered(deps, device, req.auth.scope === 'type' ? 'device_type' : 'device_credential', type?.name);
  deps.logger.info({ deviceId: device.id, sessionId: req.sessionId, events: [...events], created }, 'Inform recorded');
  const pokeRequestId = pokeRequestIdFor(device, req.inform.event.map((e) => e.eventCode), now);
  return { deviceId: device.id, registered: created, ...(pokeRequestId === undefined ? {} : { pokeRequestId }) };
}

/**
 * The type's profile as tasks (its SetParameterValues, then its STUN and XMPP set-ups), unless the device already
 * reports its ParameterKey or they are queued. All carry the key, so a device reporting it has the whole profile.
 * STUN only where a udp worker is deployed (deps.stunCredentials): nobody else could issue the credentials.
 */
function profileTasks(deps: RegistryDeps, device: Device, type: DeviceType, root: DataModelRoot, reportedKey: string, open: Task[], now: number): TaskInput[] {
  const stun = deps.stunCredentials === undefined ? null : type.connectionRequestPolicy.stun;
  const key = profileParameterKey(type, { stun: stun !== null });
  if (reportedKey === key) return [];
  const tasks: TaskInput[] = [];
  const queued = (match: (t: Task) => boolean) => open.some((t) => t.status === 'pending' && match(t));
  const args = buildProfileArgs(type, device, root, deps.secretBox, key);
  if (args !== null && !queued((t) => systemSetArgs(t)?.purpose === 'profile' && systemSetArgs(t)?.parameterKey === key)) {
    tasks.push(systemTaskInput(deps, { type: 'setParameterValues', args } as Task, TASK_PRIORITY.profile, now));
  }
  if (stun && !queued((t) => t.type === 'provisionStun' && t.args.parameterKey === key)) {
    const provision = { root, minimumKeepAlivePeriod: stun.minimumKeepAlivePeriod, maximumKeepAlivePeriod: stun.maximumKeepAlivePeriod, parameterKey: key };
    tasks.push(systemTaskInput(deps, { type: 'provisionStun', args: provision } as Task, TASK_PRIORITY.stun, now));
  }
  const xmpp = type.connectionRequestPolicy.xmpp;
  if (xmpp && !queued((t) => t.type === 'provisionXmpp' && t.args.parameterKey === key)) {
    const provision = { root, keepAliveInterval: xmpp.keepAliveInterval, parameterKey: key };
    tasks.push(systemTaskInput(deps, { type: 'provisionXmpp', args: provision } as Task, TASK_PRIORITY.xmpp, now));
  }
  return tasks;
}

/** A refresh of the whole tree (discovery) as a task, unless one is already queued. */
function discoveryTask(deps: RegistryDeps, root: DataModelRoot, open: Task[], now: number): TaskInput | null {
  if (open.some((t) => t.type === 'refresh' && t.args.path === root && t.status === 'pending')) return null;
  return systemTaskInput(deps, { type: 'refresh', args: { path: root } } as Task, TASK_PRIORITY.discovery, now);
}
