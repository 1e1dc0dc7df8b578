import type { CredentialFilter, CredentialStore } from '../device-store.js';
import { credentialKey, newCredential, patchCredential, scopeId } from '../records.js';
import type { Credential, CredentialInput, CredentialPatch, CredentialScope, EpochMs } from '../types.js';
import { conflictOnUnique, SqlWhere, type SqliteConnection } from './connection.js';

const parse = (r: { doc: string }) => JSON.parse(r.doc) as Credential;

/** CredentialStore on the `credentials` table, unique on (scope, username). */
export class SqliteCredentialStore implements CredentialStore {
  private readonly stmt;

  constructor(private readonly conn: SqliteConnection) {
    const db = conn.db;
    this.stmt = {
      insertCredential: db.prepare(`INSERT INTO credentials (id, username, scope_kind, scope_id, doc) VALUES (@id, @username, @scopeKind, @scopeId, @doc)`),
      updateCredential: db.prepare<[string, string]>(`UPDATE credentials SET doc = ? WHERE id = ?`),
      getCredential: db.prepare<[string], { doc: string }>(`SELECT doc FROM credentials WHERE id = ?`),
      credentialsByUsername: db.prepare<[string], { doc: string }>(`SELECT doc FROM credentials WHERE username = ? ORDER BY id`),
    };
  }

  async createCredential(input: CredentialInput, now: EpochMs): Promise<Credential> {
    const cred = newCredential(input, now);
    conflictOnUnique('credential', credentialKey(cred), () =>
      this.stmt.insertCredential.run({ id: cred.id, username: cred.username, scopeKind: cred.scope.kind, scopeId: scopeId(cred.scope), doc: JSON.stringify(cred) }),
    );
    return cred;
  }

  async getCredential(id: string): Promise<Credential | null> {
    const row = this.stmt.getCredential.get(id);
    return row ? parse(row) : null;
  }

  async findCredentialsByUsername(username: string): Promise<Credential[]> {
    return this.stmt.credentialsByUsername.all(username).map(parse);
  }

  async listCredentials(filter: CredentialFilter = {}): Promise<Credential[]> {
    const where = new SqlWhere();
    if (filter.deviceId !== undefined) where.add(`(scope_kind = ? AND scope_id = ?)`, 'device', filter.deviceId);
    if (filter.deviceTypeId !== undefined) where.add(`(scope_kind = ? AND scope_id = ?)`, 'deviceType', filter.deviceTypeId);
    where.equals('username', filter.username);
    return (this.conn.sql(`SELECT doc FROM credentials ${where.clause} ORDER BY username, id`).all(...where.args) as { doc: string }[]).map(parse);
  }

  async updateCredential(id: string, patch: CredentialPatch, now: EpochMs): Promise<Credential | null> {
    return this.conn.atomically(() => {
      const row = this.stmt.getCredential.get(id);
      if (!row) return null;
      const next = patchCredential(parse(row), patch, now);
      this.stmt.updateCredential.run(JSON.stringify(next), id);
      return next;
    });
  }

  async deleteCredential(id: string): Promise<boolean> {
    return this.conn.sql(`DELETE FROM credentials WHERE id = ?`).run(id).changes > 0;
  }

  /** Every credential of one scope, as a device's or a type's deletion takes them (see cascades.ts). */
  deleteScope(kind: CredentialScope['kind'], id: string): void {
    this.conn.sql(`DELETE FROM credentials WHERE scope_kind = ? AND scope_id = ?`).run(kind, id);
  }
}
