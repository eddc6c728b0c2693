// Who may create an OAuth client, and which grants a client may use: pure decisions over facts the routes load.

export type Refusal = { allowed: false; status: number; code: string; message: string; retryAfter?: number };
export type Decision = { allowed: true } | Refusal;

export interface ClientCreationFacts {
  /** the body names a template client (globus-cli's `create_native_app_instance`) */
  templateCall: boolean;
  /** the operator's GATEHOUSE_NATIVE_APP_TEMPLATES */
  templatesEnabled: boolean;
  /** the token's identity, if a valid token came with the call */
  caller?: { identityType: string; scopes: string[] };
  /** the scope a person's token needs to create a client, as Globus Auth requires */
  requiredScope: string;
  /** instances this client address made in the current window, and how many it may */
  recentInstances: number;
  instanceLimit: number;
  /** seconds until the oldest instance of the window leaves it */
  windowResetsIn: number;
}

/**
 * A template call makes an instance without signing in (globus-cli's `globus login` makes it before anyone
 * has a token), within the per-address rate; every other client needs a person's token, as in Globus.
 */
export function decideClientCreation(f: ClientCreationFacts): Decision {
  if (f.templateCall) {
    if (!f.templatesEnabled)
      return {
        allowed: false,
        status: 403,
        code: 'FORBIDDEN',
        message: 'Native app instances are turned off on this server; ask its administrator for a client',
      };
    if (f.recentInstances >= f.instanceLimit) {
      return {
        allowed: false,
        status: 429,
        code: 'TOO_MANY_REQUESTS',
        message: `Too many native app instances from this address; try again in ${f.windowResetsIn} s`,
        retryAfter: Math.max(1, f.windowResetsIn),
      };
    }
    return { allowed: true };
  }
  if (!f.caller)
    return { allowed: false, status: 401, code: 'UNAUTHORIZED', message: 'Creating a client needs a signed-in identity (a bearer token of a person)' };
  if (f.caller.identityType !== 'login')
    return { allowed: false, status: 403, code: 'FORBIDDEN', message: 'Only a person can create clients; a client identity cannot' };
  if (!f.caller.scopes.includes(f.requiredScope))
    return { allowed: false, status: 403, code: 'FORBIDDEN', message: `Creating a client needs a token with the ${f.requiredScope} scope` };
  return { allowed: true };
}

/**
 * A native app instance acts only for the person who signs in through it: it redeems codes and refreshes
 * or exchanges a person's tokens, but never gets a token for itself.
 */
export function decideGrant(client: { template_id: string | null }, grant: string): Decision {
  if (client.template_id !== null && grant === 'client_credentials') {
    return {
      allowed: false,
      status: 400,
      code: 'unauthorized_client',
      message: 'A native app instance acts only for the person who signs in through it: the client_credentials grant is not allowed',
    };
  }
  return { allowed: true };
}
