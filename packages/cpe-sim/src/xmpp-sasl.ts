import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { XmppError } from './errors.js';

const pbkdf2Async = promisify(pbkdf2);

// @xmpp/sasl base64-encodes with btoa, which takes one byte per character: UTF-8 goes in as latin1.
const binary = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

interface Credentials {
  username?: string | null;
  password?: string | null;
}

/** RFC 5802 saslname: ',' and '=' escaped. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/**
 * SCRAM-SHA-1 (RFC 5802) with node's native PBKDF2. The sasl-scram-sha-1 package behind
 * @xmpp/client runs one WebCrypto HMAC per iteration (about half a second per login at 4096
 * iterations), which a fleet logging in 1,000 CPEs cannot afford.
 */
export class ScramSha1 {
  get name() {
    return 'SCRAM-SHA-1';
  }
  get clientFirst() {
    return true;
  }

  private stage: 'first' | 'final' | 'done' = 'first';
  // The nonce is a parameter only for the RFC 5802 test vector; @xmpp/sasl constructs with none.
  constructor(private readonly clientNonce = randomBytes(18).toString('base64')) {}
  private clientFirstBare = '';
  private serverFirst = '';
  private expectedServerSignature: Buffer | undefined;

  challenge(challenge: string): void {
    if (this.stage === 'final') this.serverFirst = Buffer.from(challenge, 'latin1').toString('utf8');
    else this.verifyServerFinal(Buffer.from(challenge, 'latin1').toString('utf8'));
  }

  async response(cred: Credentials): Promise<string> {
    if (this.stage === 'first') {
      this.stage = 'final';
      this.clientFirstBare = `n=${saslName(cred.username ?? '')},r=${this.clientNonce}`;
      return binary(`n,,${this.clientFirstBare}`);
    }
    if (this.stage === 'done') return '';
    this.stage = 'done';
    const fields = new Map(this.serverFirst.split(',').map((f) => [f.slice(0, 1), f.slice(2)] as const));
    const nonce = fields.get('r') ?? '';
    const salt = Buffer.from(fields.get('s') ?? '', 'base64');
    const iterations = Number(fields.get('i'));
    if (!nonce.startsWith(this.clientNonce) || salt.length === 0 || !(iterations > 0)) {
      throw new XmppError('PROTOCOL', `unusable SCRAM server-first-message: ${this.serverFirst}`);
    }
    const salted = await pbkdf2Async(binaryPassword(cred.password), salt, iterations, 20, 'sha1');
    const clientKey = hmac(salted, 'Client Key');
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(createHash('sha1').update(clientKey).digest(), authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] ?? 0)));
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return binary(`${withoutProof},p=${proof.toString('base64')}`);
  }

  // Reached only when the server sends v= as a challenge; @xmpp/sasl does not hand us <success/> data.
  private verifyServerFinal(message: string): void {
    const v = /(?:^|,)v=([^,]+)/.exec(message)?.[1];
    const got = v === undefined ? undefined : Buffer.from(v, 'base64');
    const want = this.expectedServerSignature;
    if (!got || !want || got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new XmppError('PROTOCOL', 'SCRAM server signature does not match');
    }
  }
}

function binaryPassword(password: string | null | undefined): Buffer {
  // SASLprep is skipped: simulated accounts use ASCII passwords.
  return Buffer.from(password ?? '', 'utf8');
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha1', key).update(data).digest();
}

/** PLAIN (RFC 4616): only ever chosen over TLS. */
export class Plain {
  get name() {
    return 'PLAIN';
  }
  get clientFirst() {
    return true;
  }
  challenge(): void {}
  response(cred: Credentials): string {
    return binary(`\u0000${cred.username ?? ''}\u0000${cred.password ?? ''}`);
  }
}
