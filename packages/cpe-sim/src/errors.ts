import { CodedError } from './coded-error.js';

/** Why a CWMP session of a simulated CPE failed. Carried as a value in SessionResult. */
export type SessionErrorCode =
  | 'AUTH_FAILED'
  | 'UNAVAILABLE'
  | 'HTTP_STATUS'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'PROTOCOL'
  | 'STOPPED';

export abstract class SessionError extends Error {
  abstract readonly code: SessionErrorCode;
}

/** The ACS answered 401 to credentials we sent (or we had none to send). */
export class AcsAuthError extends SessionError {
  override readonly name = 'AcsAuthError';
  readonly code = 'AUTH_FAILED';
}

/** 503: the ACS sheds load; `retryAfterS` from Retry-After when it gave one. */
export class AcsUnavailableError extends SessionError {
  override readonly name = 'AcsUnavailableError';
  readonly code = 'UNAVAILABLE';
  constructor(readonly retryAfterS: number | undefined) {
    super(`ACS unavailable (503${retryAfterS === undefined ? '' : `, Retry-After ${retryAfterS}s`})`);
  }
}

/** Any other unexpected HTTP status. */
export class AcsHttpError extends SessionError {
  override readonly name = 'AcsHttpError';
  readonly code = 'HTTP_STATUS';
  constructor(readonly status: number) {
    super(`ACS answered HTTP ${status}`);
  }
}

/** Connection refused, reset, DNS... */
export class AcsUnreachableError extends SessionError {
  override readonly name = 'AcsUnreachableError';
  readonly code = 'UNREACHABLE';
}

export class SessionTimeoutError extends SessionError {
  override readonly name = 'SessionTimeoutError';
  readonly code = 'TIMEOUT';
}

/** The ACS sent something CWMP does not allow here (bad XML, wrong message, a fault to our request). */
export class CwmpProtocolError extends SessionError {
  override readonly name = 'CwmpProtocolError';
  readonly code = 'PROTOCOL';
}

/** The CPE was stopped while the session ran. */
export class CpeStoppedError extends SessionError {
  override readonly name = 'CpeStoppedError';
  readonly code = 'STOPPED';
}

/** Why an XMPP login of a simulated CPE failed or its connection ended. */
export type XmppErrorCode =
  /** SASL failure: wrong username or password. */
  | 'AUTH_FAILED'
  /** TCP connect refused or timed out. */
  | 'SERVER_NOT_PRESENT'
  /** UseTLS is true but the server offered no STARTTLS, or the handshake failed (untrusted certificate...). */
  | 'TLS_FAILED'
  /** The server sent something the login cannot go on with. */
  | 'PROTOCOL'
  | 'TIMEOUT'
  /** stop() or a new configuration ended the attempt. */
  | 'ABORTED';

export class XmppError extends CodedError<XmppErrorCode> {
  override readonly name = 'XmppError';
}
