import { API_KEY_PREFIX, hashSecret, newSecret } from '../../auth/tokens.ts';
import type { ApiKey, ApiScope } from '../../db/generated/client.ts';
import { InputChecker, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { text } from '../../lib/validation.ts';
import { announceRevoked } from './revocations.ts';
import { recordAudit } from '../audit/service.ts';
import type { RequestScope } from '../scope.ts';
import { requireSession } from '../../auth/guards.ts';
import { revocableWhere } from './policy.ts';

const MAX_KEYS_PER_USER = 50;

export function createApiKeyService(scope: RequestScope) {
  const { db } = scope;
  return {
    /** Creates a key; the secret is returned this once and only its hash is kept. */
    async create(input: { name: string; scopes: ApiScope[]; expiresAt?: Date | null }): Promise<{ apiKey: ApiKey; secret: string }> {
      // Keys are made from a real session, never from another key.
      const viewer = requireSession(scope);
      const checker = new InputChecker();
      const name = text(checker, 'input.name', input.name, 1, 100);
      const scopes = [...new Set(input.scopes)];
      checker.check(scopes.length > 0, 'input.scopes', 'Give at least one scope');
      checker.check(!input.expiresAt || input.expiresAt > new Date(), 'input.expiresAt', 'Must be in the future');
      checker.throwIfAny();
      const live = await db.apiKey.count({ where: { userId: viewer.id, revokedAt: null } });
      checker.check(live < MAX_KEYS_PER_USER, 'input', `At most ${MAX_KEYS_PER_USER} active keys`);
      checker.throwIfAny();
      const secret = newSecret(API_KEY_PREFIX);
      const apiKey = await db.apiKey.create({
        data: {
          userId: viewer.id,
          name,
          scopes,
          expiresAt: input.expiresAt ?? null,
          prefix: secret.slice(0, API_KEY_PREFIX.length + 6),
          keyHash: hashSecret(secret),
        },
      });
      await recordAudit(db, scope, {
        type: 'API_KEY_CREATED',
        actorId: viewer.id,
        targetUserId: viewer.id,
        data: { apiKeyId: apiKey.id, scopes: scopes.join(',') },
      });
      return { apiKey, secret };
    },

    async revoke(globalId: string): Promise<ApiKey> {
      const viewer = requireSession(scope);
      const id = expectGlobalId(globalId, 'ApiKey', 'input.id');
      const key = await db.apiKey.findFirst({ where: { id, ...revocableWhere(viewer) } });
      if (!key) throw notFound('API key', 'input.id');
      const revoked = key.revokedAt ? key : await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
      await recordAudit(db, scope, { type: 'API_KEY_REVOKED', actorId: viewer.id, targetUserId: viewer.id, data: { apiKeyId: id } });
      // Sockets opened with the key close on every instance.
      announceRevoked(scope.bus, scope.logger, { userId: viewer.id, apiKeyIds: [id] });
      return revoked;
    },

    list(userId: string): Promise<ApiKey[]> {
      return db.apiKey.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    },
  };
}
