// Identity mapping (storage gateway identity → local account): expression mappings and the default rule (spec semantics.md §2).

/** The identity fields a mapping template may reference (`{username}`, `{id}`, …). */
export interface MappableIdentity {
  id: string;
  username: string;
  status?: string;
  email?: string | null;
  name?: string | null;
  organization?: string | null;
  identity_provider?: string | null;
  [field: string]: unknown;
}

export interface ExpressionMappingEntry {
  source: string;
  match: string;
  output: string;
  ignore_case?: boolean;
  literal?: boolean;
}

export interface IdentityMappingDocument {
  DATA_TYPE?: string;
  mappings?: ExpressionMappingEntry[];
  command?: string[];
}

export class MappingError extends Error {}

const ESCAPABLE = new Set(['.', '?', '*', '|', '(', ')', '\\']);
const REGEX_SPECIAL = /[\^$+{}[\]/]/;

/** Compiles GIM's reduced POSIX ERE as a full-string match; throws MappingError when the expression is invalid. */
export function compileMatch(match: string, ignoreCase = false, literal = false): RegExp {
  const flags = ignoreCase ? 'i' : '';
  if (literal) return new RegExp(`^${match.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, flags);
  let re = '';
  for (let i = 0; i < match.length; i++) {
    const c = match[i];
    if (c === '\\') {
      const next = match[i + 1];
      if (next === undefined || !(ESCAPABLE.has(next) || /[0-9]/.test(next))) throw new MappingError(`invalid escape at offset ${i}`);
      re += `\\${next}`;
      i++;
    } else if (c === '*' || c === '?') {
      const prev = match[i - 1];
      if (i === 0 || prev === '(' || prev === '|') throw new MappingError(`"${c}" at offset ${i} has nothing to repeat`);
      if (match[i + 1] === '?') throw new MappingError(`lazy quantifier at offset ${i}`);
      re += c;
    } else if (REGEX_SPECIAL.test(c)) re += `\\${c}`;
    else re += c;
  }
  try {
    return new RegExp(`^(?:${re})$`, flags);
  } catch (e) {
    throw new MappingError((e as Error).message);
  }
}

/** Replaces `{field}` and `{N}` (0-based capture group) references; missing or null values are errors. */
export function interpolateTemplate(template: string, identity: MappableIdentity, groups: string[] = []): string {
  return template.replace(/\{([^{}]*)\}/g, (_m, key: string) => {
    if (/^[0-9]+$/.test(key)) {
      const n = Number(key);
      if (n >= groups.length || groups[n] === undefined) throw new MappingError(`Missing group reference {${key}}`);
      return groups[n];
    }
    const value = identity[key];
    if (value === undefined || value === null) throw new MappingError(`Missing identity property ${key}`);
    return String(value);
  });
}

/** The output of the first entry whose match succeeds for this identity, or null. */
export function applyExpressionMapping(doc: IdentityMappingDocument, identity: MappableIdentity): string | null {
  for (const entry of doc.mappings ?? []) {
    try {
      const source = interpolateTemplate(entry.source, identity);
      const re = compileMatch(entry.match, entry.ignore_case === true, entry.literal === true);
      const m = re.exec(source);
      if (!m) continue;
      return interpolateTemplate(entry.output, identity, entry.literal === true ? [] : m.slice(1));
    } catch (e) {
      if (e instanceof MappingError) continue;
      throw e;
    }
  }
  return null;
}

/** Validation of a stored identity_mappings list: the messages of every entry that cannot compile. */
export function mappingErrors(docs: IdentityMappingDocument[] | null | undefined): string[] {
  const errors: string[] = [];
  for (const [i, doc] of (docs ?? []).entries()) {
    const name = String(doc?.DATA_TYPE ?? '').split('#')[0];
    if (name === 'external_identity_mapping') {
      if (!Array.isArray(doc.command) || doc.command.length === 0 || doc.command.some((a) => typeof a !== 'string'))
        errors.push(`identity_mappings[${i}].command must be a non-empty list of strings`);
      continue;
    }
    if (name !== 'expression_identity_mapping') {
      errors.push(`identity_mappings[${i}] has unknown DATA_TYPE ${String(doc?.DATA_TYPE)}`);
      continue;
    }
    for (const [j, entry] of (doc.mappings ?? []).entries()) {
      if (typeof entry?.source !== 'string' || typeof entry?.match !== 'string' || typeof entry?.output !== 'string') {
        errors.push(`identity_mappings[${i}].mappings[${j}] needs string source, match and output`);
        continue;
      }
      try {
        compileMatch(entry.match, entry.ignore_case === true, entry.literal === true);
      } catch (e) {
        errors.push(`identity_mappings[${i}].mappings[${j}].match: ${(e as Error).message}`);
      }
    }
  }
  return errors;
}

export interface MappingGateway {
  connector_id: string;
  allowed_domains?: string[] | null;
  identity_mappings?: IdentityMappingDocument[] | null;
}

/** Connectors whose default mapping keeps the full username instead of stripping `@domain`. */
const KEEP_FULL_USERNAME = new Set(['7c100eae-40fe-11e9-95a3-9cb6d0d9fd63', '56366b96-ac98-11e9-abac-9cb6d0d9fd63', '976cf0cf-78c3-4aab-82d2-7c16adbcc281']);

export function domainOfUsername(username: string): string {
  const at = username.lastIndexOf('@');
  return at >= 0 ? username.slice(at + 1).toLowerCase() : '';
}

/** Only `used`/`private` identities in an allowed domain (when any are listed) are considered. */
export function identityConsidered(gateway: MappingGateway, identity: MappableIdentity): boolean {
  if (identity.status !== undefined && identity.status !== 'used' && identity.status !== 'private') return false;
  const domains = (gateway.allowed_domains ?? []).map((d) => d.toLowerCase());
  return domains.length === 0 || domains.includes(domainOfUsername(identity.username));
}

/**
 * The local account an identity maps to on a gateway: the first identity_mappings entry with a result,
 * else the default rule (exactly one allowed domain ⇒ strip it). External programs are not run by the
 * Manager API: they yield no mapping here.
 */
export function mapIdentity(gateway: MappingGateway, identity: MappableIdentity): string | null {
  if (!identityConsidered(gateway, identity)) return null;
  const mappings = gateway.identity_mappings ?? [];
  if (mappings.length > 0) {
    for (const doc of mappings) {
      if (String(doc?.DATA_TYPE ?? '').startsWith('expression_identity_mapping')) {
        const out = applyExpressionMapping(doc, identity);
        if (out !== null && out !== '') return out;
      }
    }
    return null;
  }
  const domains = gateway.allowed_domains ?? [];
  if (domains.length !== 1) return null;
  if (KEEP_FULL_USERNAME.has(gateway.connector_id)) return identity.username;
  const at = identity.username.lastIndexOf('@');
  return at > 0 ? identity.username.slice(0, at) : null;
}
