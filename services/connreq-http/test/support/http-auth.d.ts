// Minimal typings for http-auth 4 (the package ships none), as in @acs/cpe-sim: what the tests use.
declare module 'http-auth' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface AuthResult {
    user?: string;
    pass?: boolean;
    stale?: boolean;
  }
  export interface AuthOptions {
    realm?: string;
    qop?: 'auth' | 'none';
    algorithm?: 'MD5' | 'MD5-sess';
  }
  export interface Authenticator {
    isAuthenticated(req: IncomingMessage, callback: (result: AuthResult | Error) => void): void;
    /** Writes a 401 with a fresh challenge. */
    ask(res: ServerResponse, result: AuthResult): void;
  }
  /** Digest checker: hand back MD5(username:realm:password) for the user. */
  export type DigestChecker = (username: string, callback: (ha1: string | Error) => void) => void;
  export type BasicChecker = (username: string, password: string, callback: (ok: boolean) => void) => void;

  export function digest(options: AuthOptions, checker: DigestChecker): Authenticator;
  export function basic(options: AuthOptions, checker: BasicChecker): Authenticator;
  const auth: { digest: typeof digest; basic: typeof basic };
  export default auth;
}
