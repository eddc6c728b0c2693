// Groups routes for the caller's preferences: GET and PUT /v2/preferences (allow_add per identity).
import type { FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../store/db.ts';
import { lockRow } from '../../store/locking.ts';
import { allowAddOf } from '../repo.ts';
import { Nullable, Preferences } from '../schemas.ts';
import { caller } from '../requests.ts';
import { decideOwnIdentities } from '../../authz/groups.ts';
import { enforce } from '../decisions.ts';

const PreferencesMap = Type.Record(Type.String(), Preferences);

async function preferencesOf(db: Db, identityIds: string[]) {
  const prefs = await allowAddOf(db, identityIds);
  return Object.fromEntries([...prefs].map(([id, allow]) => [id, { allow_add: allow }]));
}

export async function preferenceRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store } = ctx;

  app.get('/v2/preferences', { schema: { response: { 200: PreferencesMap }, tags: ['groups'] } }, async (request) => {
    const auth = caller(request);
    return preferencesOf(store.db, auth.identitySet);
  });

  app.put(
    '/v2/preferences',
    {
      schema: {
        // OAS-G: {<identity_id>: {allow_add}}; the Python docs' flat {"allow_add": false} applies to the whole identity set.
        body: Type.Union([
          Type.Object({ allow_add: Nullable(Type.Boolean()) }, { additionalProperties: false }),
          Type.Record(Type.String({ maxLength: 64 }), Preferences),
        ]),
        response: { 200: PreferencesMap },
        tags: ['groups'],
      },
    },
    async (request) => {
      const auth = caller(request, true);
      const body = request.body as Record<string, unknown>;
      const map: Record<string, { allow_add: boolean | null }> =
        'allow_add' in body && (typeof body.allow_add === 'boolean' || body.allow_add === null)
          ? Object.fromEntries(auth.identitySet.map((id) => [id, { allow_add: body.allow_add as boolean | null }]))
          : (body as Record<string, { allow_add: boolean | null }>);
      enforce(decideOwnIdentities('Preferences', auth.identitySet, Object.keys(map)));
      return store.tx(async (db) => {
        // In id order, so two requests naming the same identities cannot deadlock.
        for (const [id, pref] of Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1))) {
          // Replaced under the identity's lock: two requests cannot both insert it.
          await lockRow(db, 'identities', id);
          await db.deleteFrom('group_preferences').where('identity_id', '=', id).execute();
          // null restores the default (allow_add true).
          if (pref.allow_add !== null)
            await db
              .insertInto('group_preferences')
              .values({ identity_id: id, allow_add: pref.allow_add ? 1 : 0 })
              .execute();
        }
        return preferencesOf(db, auth.identitySet);
      });
    },
  );
}
