// Who a caller is for authorization: their identity set and the groups they are active members of (loaded by groups/principals.ts).

export interface Principals {
  /** the token's identity and its linked identities */
  identities: string[];
  /** ids of groups in which any of those identities is an active member */
  groups: string[];
}

export const ANONYMOUS: Principals = { identities: [], groups: [] };

/** GCS and Transfer name principals as URNs; the group form has two spellings in the wild. */
export function principalUrns(p: Principals): string[] {
  return [...p.identities.map((id) => `urn:globus:auth:identity:${id}`), ...p.groups.map((id) => `urn:globus:groups:id:${id}`)];
}

export function normalizePrincipalUrn(urn: string): string {
  const m = /^urn:globus:auth:group:([0-9a-f-]{36})$/i.exec(urn);
  return m ? `urn:globus:groups:id:${m[1].toLowerCase()}` : urn;
}
