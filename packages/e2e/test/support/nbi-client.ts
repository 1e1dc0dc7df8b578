import { waitFor } from './poll.js';

export interface NbiTask {
  id: string;
  deviceId: string;
  type: string;
  status: 'pending' | 'running' | 'done' | 'fault' | 'cancelled';
  attempts: number;
  result: unknown;
  fault: { code: string; message: string } | null;
}

export interface NbiParameter {
  path: string;
  value: string | null;
  type: string | null;
}

export interface NbiDevice {
  id: string;
  parameters?: NbiParameter[];
  [key: string]: unknown;
}

export interface NbiFault {
  id: string;
  deviceId: string;
  taskId: string | null;
  code: string;
  message: string;
  detail: unknown;
}

export class NbiHttpError extends Error {
  override readonly name = 'NbiHttpError';
  readonly code = 'NBI_HTTP';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  }
}

/** The few NBI calls the end-to-end tests make, over real HTTP with the bearer token. */
export class NbiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  private async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status >= 300) throw new NbiHttpError(res.status, JSON.stringify(res.body), `${method} ${path}`);
    return res.body;
  }

  device(id: string, path?: string): Promise<NbiDevice> {
    return this.ok('GET', `/devices/${encodeURIComponent(id)}${path === undefined ? '' : `?path=${encodeURIComponent(path)}`}`);
  }

  async deviceStatus(id: string): Promise<number> {
    return (await this.call('GET', `/devices/${encodeURIComponent(id)}`)).status;
  }

  async value(id: string, path: string): Promise<string | null | undefined> {
    const device = await this.device(id, path);
    return device.parameters?.find((p) => p.path === path)?.value;
  }

  async createTask(deviceId: string, task: object): Promise<NbiTask> {
    const created = await this.ok<{ tasks: NbiTask[] }>('POST', `/devices/${encodeURIComponent(deviceId)}/tasks`, task);
    return created.tasks[0] as NbiTask;
  }

  task(id: string): Promise<NbiTask> {
    return this.ok('GET', `/tasks/${encodeURIComponent(id)}`);
  }

  /** Polls the task until it finished (done, fault or cancelled). */
  waitTaskFinished(id: string, timeoutMs = 20_000): Promise<NbiTask> {
    return waitFor(
      `task ${id} to finish`,
      async () => {
        const t = await this.task(id);
        return t.status === 'done' || t.status === 'fault' || t.status === 'cancelled' ? t : undefined;
      },
      timeoutMs,
    );
  }

  async faults(taskId: string): Promise<NbiFault[]> {
    return (await this.ok<{ items: NbiFault[] }>('GET', `/faults?taskId=${encodeURIComponent(taskId)}`)).items;
  }

  async credentials(deviceId: string): Promise<{ id: string; username: string; status: string }[]> {
    return (await this.ok<{ items: { id: string; username: string; status: string }[] }>('GET', `/credentials?deviceId=${encodeURIComponent(deviceId)}`)).items;
  }

  createDeviceCredential(deviceId: string, username: string, password: string): Promise<{ id: string }> {
    return this.ok('POST', '/credentials', { kind: 'cpe', username, password, scope: { kind: 'device', deviceId } });
  }
}
