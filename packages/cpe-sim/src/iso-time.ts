/** Now as an xsd:dateTime in UTC without fractional seconds, as CWMP messages carry it. */
export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
