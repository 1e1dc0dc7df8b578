import type { RegistryDeps } from './deps.js';
import type { DataModelRoot } from './profiles.js';
import { generateSecret, hashForDigest, hashForGeneratedSecret } from './secrets.js';
import type { Device, DeviceType, Task, TaskInput } from './store/types.js';
import { TASK_PRIORITY, type SystemSetArgs } from './task-meta.js';

const PASSWORD_LENGTH = 24;

/** Creation fields of a task the registry queues itself. */
export function systemTaskInput(deps: RegistryDeps, spec: Pick<Task, 'type' | 'args'>, priority: number, now: number): TaskInput {
  const { maxAttempts, taskTtlMs } = deps.policy;
  return { ...spec, maxAttempts, expiresAt: taskTtlMs > 0 ? now + taskTtlMs : null, priority } as TaskInput;
}

/**
 * First contact through a type's shared credentials: give the CPE its own ACS credentials.
 * A pending device credential is created and a SetParameterValues of ManagementServer.Username and
 * .Password queued ahead of everything else; the credential turns active once the CPE confirms
 * (or first logs in with it). Nothing happens when the type has onboarding off or the device
 * already has a credential of its own (in any state: a disabled one means an earlier attempt
 * failed for good, and an operator decides what next).
 * `parameterKey` is the key the device reports, kept so onboarding does not disturb the profile marker.
 */
export async function startOnboarding(deps: RegistryDeps, device: Device, type: DeviceType, root: DataModelRoot, parameterKey: string, now: number): Promise<Task | null> {
  if (!type.onboarding) return null;
  const { store, realm, secretBox } = deps;
  if ((await store.listCredentials({ deviceId: device.id })).length > 0) return null;
  const username = device.id;
  const password = generateSecret(PASSWORD_LENGTH);
  const credential = await store.createCredential(
    {
      username,
      scope: { kind: 'device', deviceId: device.id },
      realm,
      ha1: hashForDigest(username, realm, password),
      basicHash: hashForGeneratedSecret(password),
      status: 'pending',
    },
    now,
  );
  const args: SystemSetArgs = {
    parameterList: [
      { name: `${root}ManagementServer.Username`, value: username, type: 'xsd:string' },
      { name: `${root}ManagementServer.Password`, value: secretBox.encrypt(password), type: 'xsd:string', sealed: true },
    ],
    parameterKey,
    purpose: 'onboarding',
    credentialId: credential.id,
  };
  const [task] = await store.createTasks(device.id, [systemTaskInput(deps, { type: 'setParameterValues', args } as Task, TASK_PRIORITY.onboarding, now)], now);
  deps.logger.info({ deviceId: device.id, credentialId: credential.id }, 'onboarding: per-device credentials queued');
  return task ?? null;
}
