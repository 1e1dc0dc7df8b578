/** Per-CPE values substituted into `{{placeholders}}` of a model's factory values. */
export interface ModelContext {
  manufacturer: string;
  oui: string;
  productClass: string;
  serialNumber: string;
  macAddress: string;
  wanIpAddress: string;
  acsUrl: string;
  username: string;
  password: string;
  connectionRequestUrl: string;
  connectionRequestUsername: string;
  connectionRequestPassword: string;
  periodicInformEnable: string;
  periodicInformInterval: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly code = 'UNKNOWN_PLACEHOLDER';
  constructor(readonly placeholder: string) {
    super(`unknown model placeholder {{${placeholder}}}`);
  }
}

export function fillTemplate(text: string, ctx: ModelContext): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in ctx)) throw new TemplateError(key);
    return ctx[key as keyof ModelContext];
  });
}

/** A locally administered MAC (02:...) derived from a CPE index, so every simulated CPE differs. */
export function macForIndex(index: number): string {
  const b = [0x02, 0x5a, (index >>> 24) & 0xff, (index >>> 16) & 0xff, (index >>> 8) & 0xff, index & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':').toUpperCase();
}

/** A WAN address value for a CPE index (data only: nothing ever connects to it). */
export function wanIpForIndex(index: number): string {
  return `10.${(index >>> 16) & 0xff}.${(index >>> 8) & 0xff}.${(index & 0xff) + 1 > 254 ? 254 : (index & 0xff) + 1}`;
}
