import type { AcsRequest, XsdType } from '@acs/cwmp';
import type { SecretBox } from './secrets.js';
import type { Task } from './store/types.js';
import type { SystemParameterValueArg, TaskProgress } from './task-meta.js';

/** A task whose arguments cannot become a valid RPC (e.g. an unknown xsd type); it fails without reaching the CPE. */
export class TaskArgsError extends Error {
  override readonly name = 'TaskArgsError';
  readonly code = 'INVALID_TASK_ARGS';
  constructor(
    readonly taskId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const XSD_TYPES: readonly XsdType[] = ['string', 'int', 'unsignedInt', 'long', 'unsignedLong', 'boolean', 'dateTime', 'base64', 'hexBinary', 'decimal'];

/** `xsd:unsignedInt` or `unsignedInt` → `unsignedInt`; null when it is no type we can send. */
export function xsdLocalName(type: string): XsdType | null {
  const local = type.includes(':') ? type.slice(type.indexOf(':') + 1) : type;
  return (XSD_TYPES as readonly string[]).includes(local) ? (local as XsdType) : null;
}

// TR-069 caps CommandKey at 32 characters; a task id (UUID) without dashes is exactly that.
export function commandKeyOf(task: Task): string {
  const given = 'commandKey' in task.args ? task.args.commandKey : undefined;
  return given ?? task.id.replace(/-/g, '').slice(0, 32);
}

export interface RpcContext {
  secretBox: SecretBox;
  /** The xsd type the CPE reported for a parameter, for SetParameterValues entries given without one. */
  reportedType(name: string): string | null;
  /** Working state of a multi-step task (refresh); null on its first step. */
  progress: TaskProgress | null;
}

/**
 * The RPC that performs `task` now. `refresh` is GetParameterNames (NextLevel false) of the subtree
 * first, then GetParameterValues of its leaves in batches (see TaskProgress). Throws TaskArgsError.
 */
export function taskToRpc(task: Task, ctx: RpcContext): AcsRequest {
  switch (task.type) {
    case 'getParameterValues':
      return { name: 'GetParameterValues', parameterNames: [...task.args.parameterNames] };
    case 'setParameterValues':
      return {
        name: 'SetParameterValues',
        parameterList: task.args.parameterList.map((p: SystemParameterValueArg) => {
          const given = p.type ?? ctx.reportedType(p.name) ?? 'xsd:string';
          const type = xsdLocalName(given);
          if (type === null) throw new TaskArgsError(task.id, `${p.name}: cannot send xsd type ${JSON.stringify(given)}`);
          let value = p.value;
          if (p.sealed === true) {
            try {
              value = ctx.secretBox.decrypt(p.value);
            } catch (cause) {
              throw new TaskArgsError(task.id, `${p.name}: the sealed value cannot be opened with the current ACS_SECRET_KEY`, { cause });
            }
          }
          return { name: p.name, value, type };
        }),
        parameterKey: task.args.parameterKey ?? '',
      };
    case 'getParameterNames':
      return { name: 'GetParameterNames', parameterPath: task.args.parameterPath, nextLevel: task.args.nextLevel };
    case 'addObject':
      return { name: 'AddObject', objectName: task.args.objectName, parameterKey: task.args.parameterKey ?? '' };
    case 'deleteObject':
      return { name: 'DeleteObject', objectName: task.args.objectName, parameterKey: task.args.parameterKey ?? '' };
    case 'setParameterAttributes':
      return { name: 'SetParameterAttributes', parameterList: task.args.parameterList.map((p) => ({ ...p, accessList: [...p.accessList] })) };
    case 'getParameterAttributes':
      return { name: 'GetParameterAttributes', parameterNames: [...task.args.parameterNames] };
    case 'reboot':
      return { name: 'Reboot', commandKey: commandKeyOf(task) };
    case 'factoryReset':
      return { name: 'FactoryReset' };
    case 'download': {
      const a = task.args;
      return {
        name: 'Download',
        commandKey: commandKeyOf(task),
        fileType: a.fileType,
        url: a.url,
        username: a.username ?? '',
        password: a.password ?? '',
        fileSize: a.fileSize ?? 0,
        targetFileName: a.targetFileName ?? '',
        delaySeconds: a.delaySeconds ?? 0,
        successURL: a.successURL ?? '',
        failureURL: a.failureURL ?? '',
      };
    }
    case 'scheduleInform':
      return { name: 'ScheduleInform', delaySeconds: task.args.delaySeconds, commandKey: commandKeyOf(task) };
    case 'getRPCMethods':
      return { name: 'GetRPCMethods' };
    case 'refresh': {
      const p = ctx.progress;
      if (p?.phase === 'values') return { name: 'GetParameterValues', parameterNames: p.remaining.slice(0, p.inFlight) };
      return { name: 'GetParameterNames', parameterPath: task.args.path, nextLevel: false };
    }
    case 'provisionXmpp':
      // Its steps need the store and the XMPP accounts: session-next builds them (src/xmpp/provision-task.ts).
      throw new TaskArgsError(task.id, 'provisionXmpp steps are built by xmppStepRpc');
    case 'provisionStun':
      // Its SPV needs connreq-stun's credentials: session-next builds the steps (src/stun/provision-task.ts).
      throw new TaskArgsError(task.id, 'provisionStun steps are built by stunStepRpc');
    default: {
      const never: never = task;
      throw new TaskArgsError((never as Task).id, `unknown task type ${String((never as Task).type)}`);
    }
  }
}
