// GET/POST /v2/oauth2/authorize: the server-rendered login and consent page, and the native-app code page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../context.ts';
import { cookie, setCookie } from '../../http/cookies.ts';
import type { Db } from '../../store/db.ts';
import { nowSeconds } from '../../store/db.ts';
import { findClient, redirectUriAllowed } from '../clients.ts';
import { findById, findByUsername, qualifyUsername } from '../identities.ts';
import { parseScopes, renderScope, resolveScopes } from '../scopes.ts';
import { hashToken, randomToken, verifyPassword } from '../secrets.ts';
import { PasswordPoolBusy } from '../password-pool.ts';
import { formPostRefusal, issueFormToken } from '../login-csrf.ts';
import { accountKey, addressKey, lockCounters, saveCounter } from '../login-attempts.ts';
import { ACCOUNT_POLICY, ADDRESS_POLICY, afterFailure, afterSuccess, combine, decideAttempt } from '../../authz/throttle.ts';
import type { ClientRow, IdentityRow } from '../tables.ts';
import { findPolicy, policyRules } from '../policies.ts';
import { evaluatePolicy, type AuthPolicyRules } from '../../authz/policies.ts';
import { oauthErrors } from '../errors.ts';

const SESSION_COOKIE = 'gatehouse_session';
const SESSION_LIFETIME = 12 * 3600;
const CODE_LIFETIME = 600;

const AuthorizeParams = Type.Object(
  {
    client_id: Type.String({ maxLength: 64 }),
    redirect_uri: Type.String({ maxLength: 2048 }),
    scope: Type.String({ maxLength: 8192 }),
    response_type: Type.Optional(Type.String({ maxLength: 32 })),
    state: Type.Optional(Type.String({ maxLength: 2048 })),
    code_challenge: Type.Optional(Type.String({ maxLength: 256 })),
    code_challenge_method: Type.Optional(Type.String({ maxLength: 16 })),
    access_type: Type.Optional(Type.String({ maxLength: 16 })),
    prompt: Type.Optional(Type.String({ maxLength: 32 })),
    session_message: Type.Optional(Type.String({ maxLength: 2048 })),
    session_required_identities: Type.Optional(Type.String({ maxLength: 4096 })),
    session_required_single_domain: Type.Optional(Type.String({ maxLength: 4096 })),
    session_required_policies: Type.Optional(Type.String({ maxLength: 4096 })),
    session_required_mfa: Type.Optional(Type.String({ maxLength: 8 })),
    prefill_named_grant: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true },
);
type Params = Record<string, string | undefined> & { client_id: string; redirect_uri: string; scope: string };

interface Redirect {
  location: string;
}

/** A scope the request names that cannot be granted (unknown, malformed): answered by redirecting to the client. */
class ScopeRefusal extends Error {}

const formatWait = (seconds: number) => (seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`);
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function authorizeRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  const { store, config } = ctx;

  /** Checks everything that can be checked before a user is involved; errors here are never redirected. */
  async function checkRequest(db: Db, params: Params): Promise<ClientRow> {
    const client = /^[0-9a-f-]{36}$/i.test(params.client_id) ? await findClient(db, params.client_id) : undefined;
    if (!client) throw oauthErrors.error('invalid_request', 'Unknown client_id');
    if (params.redirect_uri !== `${config.publicUrl}/v2/web/auth-code` && !(await redirectUriAllowed(db, config, client, params.redirect_uri))) {
      throw oauthErrors.error('invalid_request', 'redirect_uri is not registered for this client');
    }
    if ((params.response_type ?? 'code') !== 'code') throw oauthErrors.error('unsupported_response_type', 'Only response_type=code is supported');
    if (params.code_challenge !== undefined || client.public_client === 1) {
      if (params.code_challenge_method !== 'S256') throw oauthErrors.error('invalid_request', 'code_challenge_method must be S256');
      if (!/^[A-Za-z0-9_-]{43}$/.test(params.code_challenge ?? ''))
        throw oauthErrors.error('invalid_request', 'code_challenge must be BASE64URL(SHA256(verifier))');
    }
    try {
      await resolveScopes(db, params.scope);
    } catch (error) {
      // The client and its redirect_uri are known good: the error goes back to it (RFC 6749 §4.1.2.1), so a
      // browser lands on a page (for native apps, /v2/web/auth-code) and a native app's preflight sees it.
      throw new ScopeRefusal((error as Error).message);
    }
    return client;
  }

  async function currentSession(db: Db, request: FastifyRequest) {
    const token = cookie(request, SESSION_COOKIE);
    if (!token) return undefined;
    const session = await db.selectFrom('login_sessions').selectAll().where('session_hash', '=', hashToken(token)).executeTakeFirst();
    if (!session || session.expires_at < nowSeconds()) return undefined;
    const identity = await findById(db, session.identity_id);
    return identity ? { identity, authenticatedAt: session.authenticated_at, csrf: hashToken(`csrf:${token}`) } : undefined;
  }

  /** The policies a `session_required_policies` list names; ids naming no policy are ignored, as they demand nothing known. */
  async function requiredPolicies(db: Db, params: Params): Promise<AuthPolicyRules[]> {
    const ids = (params.session_required_policies ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
      .slice(0, 20);
    const rows = await Promise.all(ids.map((id) => findPolicy(db, id)));
    return rows.filter((r) => r !== undefined).map(policyRules);
  }

  /**
   * Session requirements the current login does not meet force a fresh login. A required policy is met
   * by an identity from its domains, authenticated recently enough when it is high assurance; a policy
   * that requires MFA never is (logins here have no second factor).
   */
  function sessionSatisfies(params: Params, identity: IdentityRow, authenticatedAt: number, policies: AuthPolicyRules[]): boolean {
    if (params.prompt === 'login') return false;
    const ids = (params.session_required_identities ?? '').split(',').filter(Boolean);
    if (ids.length && !ids.includes(identity.id)) return false;
    const domains = (params.session_required_single_domain ?? '')
      .split(',')
      .filter(Boolean)
      .map((d) => d.toLowerCase());
    if (domains.length && !domains.includes(identity.username.slice(identity.username.lastIndexOf('@') + 1).toLowerCase())) return false;
    const now = nowSeconds();
    return policies.every((p) => evaluatePolicy(p, [{ id: identity.id, username: identity.username, authenticatedAt }], now).satisfied);
  }

  function render(
    request: FastifyRequest,
    reply: FastifyReply,
    params: Params,
    client: ClientRow,
    options: { identity?: IdentityRow; csrf?: string; error?: string },
  ) {
    const hidden = Object.entries(params)
      .filter(([k, v]) => v !== undefined && !['username', 'password', 'decision', 'csrf', 'login_csrf'].includes(k))
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(String(v))}">`)
      .concat(`<input type="hidden" name="login_csrf" value="${issueFormToken(request, reply)}">`)
      .join('\n');
    const scopes = parseScopes(params.scope)
      .map((n) => `<li><code>${escapeHtml(renderScope(n))}</code></li>`)
      .join('');
    const login = options.identity
      ? `<p>Signed in as <strong>${escapeHtml(options.identity.username)}</strong>.</p><input type="hidden" name="csrf" value="${options.csrf}">`
      : `<label>Username <input id="username" name="username" autocomplete="username" required autofocus></label>
         <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>`;
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' *");
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem;font-size:1rem}button{padding:.5rem 1rem;font-size:1rem;margin-right:.5rem}.error{color:#a00}code{word-break:break-all}</style></head>
<body><h1>Gatehouse</h1>
${params.session_message ? `<p>${escapeHtml(params.session_message)}</p>` : ''}
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<p><strong>${escapeHtml(client.name)}</strong> asks for access to:</p><ul>${scopes}</ul>
<form method="post" action="/v2/oauth2/authorize">
${hidden}
${login}
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</form></body></html>`;
  }

  /** Where the browser goes next; sent only after the transaction commits, so the code exists when it arrives. */
  async function redirectWithCode(db: Db, params: Params, client: ClientRow, identity: IdentityRow, authenticatedAt: number): Promise<Redirect> {
    const code = randomToken();
    await db
      .insertInto('authorization_codes')
      .values({
        code_hash: hashToken(code),
        client_id: client.id,
        identity_id: identity.id,
        redirect_uri: params.redirect_uri,
        scope: params.scope,
        code_challenge: params.code_challenge ?? null,
        state: params.state ?? null,
        authenticated_at: authenticatedAt,
        expires_at: nowSeconds() + CODE_LIFETIME,
        used_at: null,
      })
      .execute();
    const target = new URL(params.redirect_uri);
    target.searchParams.set('code', code);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    return { location: target.toString() };
  }

  function redirectWithError(params: Params, error: string, description?: string): Redirect {
    const target = new URL(params.redirect_uri);
    target.searchParams.set('error', error);
    if (description !== undefined) target.searchParams.set('error_description', description);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    return { location: target.toString() };
  }

  /** A rendered page as is; a redirect now, after the commit. */
  function answer(reply: FastifyReply, result: string | Redirect) {
    return typeof result === 'string' ? result : reply.redirect(result.location, 302);
  }

  app.get('/v2/oauth2/authorize', { schema: { querystring: AuthorizeParams, tags: ['auth'] } }, async (request, reply) => {
    const params = request.query as Params;
    let client: ClientRow;
    try {
      client = await checkRequest(store.db, params);
    } catch (error) {
      if (error instanceof ScopeRefusal) return answer(reply, redirectWithError(params, 'invalid_scope', error.message));
      throw error;
    }
    const session = await currentSession(store.db, request);
    if (session && sessionSatisfies(params, session.identity, session.authenticatedAt, await requiredPolicies(store.db, params)))
      return render(request, reply, params, client, session);
    return render(request, reply, params, client, {});
  });

  app.post('/v2/oauth2/authorize', { schema: { body: AuthorizeParams, tags: ['auth'] } }, async (request, reply) => {
    const params = request.body as Params;
    // Two transactions, not one: scrypt must not run while a transaction holds SQLite's write lock (or row
    // locks), or every writer in every process would wait for it. The attempt is counted as a failure in
    // the first, before the password is looked at, and taken back in the second when the password is right.
    const first = await store.tx(
      async (
        db,
      ): Promise<
        | { done: string | Redirect }
        | { client: ClientRow; policies: AuthPolicyRules[]; keys: { account: string; address: string }; identity: IdentityRow | undefined }
      > => {
        let client: ClientRow;
        try {
          client = await checkRequest(db, params);
        } catch (error) {
          if (error instanceof ScopeRefusal) return { done: redirectWithError(params, 'invalid_scope', error.message) };
          throw error;
        }
        // Login CSRF: nothing a form post asks for (not even a deny) is done for a post another site made.
        const refusal = formPostRefusal(request, config.publicUrl, params.login_csrf);
        if (refusal) {
          reply.status(403);
          return { done: render(request, reply, params, client, { error: refusal }) };
        }
        if (params.decision === 'deny') return { done: redirectWithError(params, 'access_denied') };
        const session = await currentSession(db, request);
        const policies = await requiredPolicies(db, params);
        if (session && params.csrf && params.csrf === session.csrf && sessionSatisfies(params, session.identity, session.authenticatedAt, policies)) {
          return { done: await redirectWithCode(db, params, client, session.identity, session.authenticatedAt) };
        }
        const username = qualifyUsername((params.username ?? '').trim(), config.identityDomain).slice(0, 300);
        const keys = { account: accountKey(username), address: addressKey(request.ip) };
        const counters = await lockCounters(store, db, [keys.account, keys.address]);
        const attemptAt = ctx.clock();
        const account = decideAttempt(counters.get(keys.account), attemptAt);
        const wait = combine([account, decideAttempt(counters.get(keys.address), attemptAt)]);
        if (!wait.allowed) {
          const seconds = Math.ceil(wait.retryAfterMs / 1000);
          reply.status(429).header('retry-after', String(seconds));
          return {
            done: render(request, reply, params, client, {
              error: `Too many failed sign-in attempts ${account.allowed ? 'from this address' : 'for this account'}. Try again in ${formatWait(seconds)}.`,
            }),
          };
        }
        await saveCounter(db, keys.account, afterFailure(counters.get(keys.account), attemptAt, ACCOUNT_POLICY));
        await saveCounter(db, keys.address, afterFailure(counters.get(keys.address), attemptAt, ADDRESS_POLICY));
        const identity = username.length <= 256 ? await findByUsername(db, username) : undefined;
        return { client, policies, keys, identity };
      },
    );
    if ('done' in first) return answer(reply, first.done);
    const { client, policies, keys, identity } = first;

    let ok: boolean;
    try {
      ok = await verifyPassword(params.password ?? '', identity?.identity_type === 'login' ? identity.password_hash : null);
    } catch (error) {
      if (!(error instanceof PasswordPoolBusy)) throw error;
      reply.status(503).header('retry-after', '1');
      return render(request, reply, params, client, { error: 'The server is busy checking other sign-ins. Try again in a moment.' });
    }
    if (!identity || !ok) {
      reply.status(401);
      return render(request, reply, params, client, { error: 'Unknown username or wrong password.' });
    }

    const second = await store.tx(async (db): Promise<string | Redirect> => {
      // The right password: the account starts over; the address only loses this attempt (a spray's other failures stay).
      const counters = await lockCounters(store, db, [keys.account, keys.address]);
      await saveCounter(db, keys.account, { failures: 0, last_failure_at: 0, blocked_until: 0 });
      await saveCounter(db, keys.address, afterSuccess(counters.get(keys.address), ADDRESS_POLICY));
      if (!sessionSatisfies({ ...params, prompt: undefined }, identity, nowSeconds(), policies)) {
        reply.status(403);
        const mfa = policies.some((p) => p.high_assurance && p.required_mfa);
        return render(request, reply, params, client, {
          error: mfa ? 'This request requires multi-factor authentication, which this server does not offer.' : 'This request requires a different identity.',
        });
      }
      const sessionToken = randomToken();
      const now = nowSeconds();
      await db
        .insertInto('login_sessions')
        .values({ session_hash: hashToken(sessionToken), identity_id: identity.id, authenticated_at: now, expires_at: now + SESSION_LIFETIME })
        .execute();
      reply.header('set-cookie', setCookie(SESSION_COOKIE, sessionToken, { path: '/v2/oauth2/', maxAge: SESSION_LIFETIME }));
      return redirectWithCode(db, params, client, identity, now);
    });
    return answer(reply, second);
  });

  /** The Python SDK's native-app default redirect: shows the code for the user to paste. */
  app.get(
    '/v2/web/auth-code',
    {
      schema: {
        querystring: Type.Object({
          code: Type.Optional(Type.String({ maxLength: 256 })),
          state: Type.Optional(Type.String({ maxLength: 2048 })),
          error: Type.Optional(Type.String({ maxLength: 64 })),
          error_description: Type.Optional(Type.String({ maxLength: 2048 })),
        }),
        hide: true,
      },
    },
    async (request, reply) => {
      const { code, error, error_description: description } = request.query as { code?: string; error?: string; error_description?: string };
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      const body = code
        ? `<p>Copy this code back into your application:</p><p><code id="code">${escapeHtml(code)}</code></p>`
        : `<p class="error">Login did not complete: ${escapeHtml(error ?? 'no code')}</p>` +
          (description ? `<p class="error" id="error-description">${escapeHtml(description)}</p>` : '');
      return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse — authorization code</title></head><body><h1>Gatehouse</h1>${body}</body></html>`;
    },
  );
}
