import type { SecretBox } from './secrets.js';
import type { ConnectionRequestAuth, EpochMs } from './store/types.js';

const USERNAME = /^(?:InternetGatewayDevice|Device)\.ManagementServer\.ConnectionRequestUsername$/;
const PASSWORD = /^(?:InternetGatewayDevice|Device)\.ManagementServer\.ConnectionRequestPassword$/;

/**
 * The third source of connection-request credentials: the CPE itself. TR-069 has ConnectionRequestPassword read
 * back as an empty string, but some CPEs report it (in an Inform's InformParameters or a GetParameterValues);
 * when a report carries a username and a non-empty password, they are what the CPE will check, so they are the
 * newest truth. Sealed at once: the plaintext never reaches the store.
 */
export function learnConnectionRequestAuth(
  parameters: Iterable<{ readonly name: string; readonly value: string }>,
  secretBox: Pick<SecretBox, 'encrypt'>,
  now: EpochMs,
): ConnectionRequestAuth | null {
  let username: string | undefined;
  let password: string | undefined;
  for (const p of parameters) {
    if (USERNAME.test(p.name)) username = p.value;
    else if (PASSWORD.test(p.name)) password = p.value;
  }
  if (username === undefined || username === '' || password === undefined || password === '') return null;
  return { username, passwordSealed: secretBox.encrypt(password), updatedAt: now, source: 'learned' };
}

// ManagementServer.Password, ConnectionRequestPassword, STUNPassword and XMPP.Connection.{i}.Password: credentials of
// the CPE<->ACS relationship. Their values never enter the parameter tree (architecture: no plaintext CPE passwords
// at rest); what the ACS must present later is kept sealed on the device instead.
const CREDENTIAL_PARAMETER = /^(?:InternetGatewayDevice|Device)\.(?:ManagementServer\.(?:Password|ConnectionRequestPassword|STUNPassword)|XMPP\.Connection\.\d+\.Password)$/;

/** The value to store for a parameter: '' for a credential parameter (see above), else the value itself. */
export function storableValue(path: string, value: string): string {
  return CREDENTIAL_PARAMETER.test(path) ? '' : value;
}
