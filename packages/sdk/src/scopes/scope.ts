// The Scope model (string, optional flag, dependencies), its exact string rendering and the inverse parser.
import { GlobusError } from '../core/errors.ts';

export class ScopeParseError extends GlobusError {
  constructor(message: string) {
    super(message);
    this.name = 'ScopeParseError';
  }
}

const SPECIAL = /[[\]*\s]/;

/**
 * A scope and its dependent scopes: renders as `root[dep1 *dep2[...]]`, where `*` marks an optional
 * dependency. Build trees with the non-mutating withDependency/withDependencies/withOptional, or
 * mutate in place with addDependency.
 */
export class Scope {
  readonly scopeString: string;
  optional: boolean;
  dependencies: Scope[];

  constructor(scopeString: string, options: { optional?: boolean; dependencies?: Iterable<Scope | string> } = {}) {
    if (scopeString === '' || SPECIAL.test(scopeString)) {
      throw new ScopeParseError(`invalid scope string ${JSON.stringify(scopeString)}: use parseScopes() for strings with '[', ']', '*' or spaces`);
    }
    this.scopeString = scopeString;
    this.optional = options.optional ?? false;
    this.dependencies = [...(options.dependencies ?? [])].map(toScope);
  }

  /** Parses a scope string that must contain exactly one top-level scope. */
  static deserialize(value: string): Scope {
    const scopes = parseScopes(value);
    if (scopes.length !== 1) throw new ScopeParseError(`expected exactly one scope, got ${scopes.length} in ${JSON.stringify(value)}`);
    return scopes[0];
  }

  /** A copy with one more dependency (a string is parsed, so `*x` is an optional dependency). */
  withDependency(dependency: Scope | string): Scope {
    return this.withDependencies([dependency]);
  }

  /** A copy with these dependencies appended. */
  withDependencies(dependencies: Iterable<Scope | string>): Scope {
    return new Scope(this.scopeString, { optional: this.optional, dependencies: [...this.dependencies, ...dependencies] });
  }

  /** A copy with the optional flag set (dependency may be declined without failing the login). */
  withOptional(optional = true): Scope {
    return new Scope(this.scopeString, { optional, dependencies: this.dependencies });
  }

  /** Appends a dependency to this scope in place; returns this for chaining. */
  addDependency(dependency: Scope | string): this {
    this.dependencies.push(toScope(dependency));
    return this;
  }

  /** The resource server this scope belongs to (see scopeResourceServer). */
  get resourceServer(): string | undefined {
    return scopeResourceServer(this.scopeString);
  }

  serialize(): string {
    const base = (this.optional ? '*' : '') + this.scopeString;
    return this.dependencies.length ? `${base}[${this.dependencies.map((d) => d.serialize()).join(' ')}]` : base;
  }

  toString(): string {
    return this.serialize();
  }

  toJSON(): string {
    return this.serialize();
  }
}

function toScope(value: Scope | string): Scope {
  return typeof value === 'string' ? Scope.deserialize(value) : value;
}

/**
 * Parses a space-separated scope list with nested `[...]` dependencies and `*` optional markers
 * (the inverse of Scope#toString). Whitespace between tokens is free; empty brackets are rejected.
 */
export function parseScopes(value: string): Scope[] {
  let pos = 0;
  const n = value.length;
  const skipSpace = () => {
    while (pos < n && /\s/.test(value[pos])) pos++;
  };
  const parseList = (closing: boolean): Scope[] => {
    const out: Scope[] = [];
    for (;;) {
      skipSpace();
      if (pos >= n) {
        if (closing) throw new ScopeParseError(`unclosed '[' in ${JSON.stringify(value)}`);
        return out;
      }
      if (value[pos] === ']') {
        if (!closing) throw new ScopeParseError(`unexpected ']' at ${pos} in ${JSON.stringify(value)}`);
        if (!out.length) throw new ScopeParseError(`empty '[]' at ${pos} in ${JSON.stringify(value)}`);
        pos++;
        return out;
      }
      out.push(parseOne());
    }
  };
  const parseOne = (): Scope => {
    let optional = false;
    if (value[pos] === '*') {
      optional = true;
      pos++;
    }
    const start = pos;
    while (pos < n && !SPECIAL.test(value[pos])) pos++;
    if (pos === start) throw new ScopeParseError(`expected a scope string at ${pos} in ${JSON.stringify(value)}`);
    const scope = new Scope(value.slice(start, pos), { optional });
    skipSpace();
    if (pos < n && value[pos] === '[') {
      pos++;
      scope.dependencies = parseList(true);
    }
    return scope;
  };
  return parseList(false);
}

/** Anything the token methods accept as scopes: one string (may hold several), a Scope, or a list. */
export type ScopeLike = string | Scope | Iterable<string | Scope>;

/** Renders ScopeLike as the space-joined wire form. */
export function scopesToString(scopes: ScopeLike): string {
  if (typeof scopes === 'string') return scopes.trim();
  if (scopes instanceof Scope) return scopes.serialize();
  return [...scopes]
    .map((s) => (typeof s === 'string' ? s.trim() : s.serialize()))
    .filter(Boolean)
    .join(' ');
}

const URN_PREFIX = 'urn:globus:auth:scope:';
/** The literal URL-form prefix: clients build collection scopes locally, whatever the Auth base URL is. */
export const SCOPE_URL_PREFIX = 'https://auth.globus.org/scopes/';

/** Resource server of a scope string: the URN/URL segment, auth.globus.org for OIDC names, else undefined. */
export function scopeResourceServer(scopeString: string): string | undefined {
  if (scopeString === 'openid' || scopeString === 'profile' || scopeString === 'email') return 'auth.globus.org';
  if (scopeString.startsWith(URN_PREFIX)) {
    const rest = scopeString.slice(URN_PREFIX.length);
    const i = rest.indexOf(':');
    return i > 0 ? rest.slice(0, i) : undefined;
  }
  if (scopeString.startsWith(SCOPE_URL_PREFIX)) {
    const rest = scopeString.slice(SCOPE_URL_PREFIX.length);
    const i = rest.indexOf('/');
    return i > 0 ? rest.slice(0, i) : undefined;
  }
  return undefined;
}

/** `urn:globus:auth:scope:<resourceServer>:<name>` */
export function urnScope(resourceServer: string, name: string): Scope {
  return new Scope(`${URN_PREFIX}${resourceServer}:${name}`);
}

/** `https://auth.globus.org/scopes/<resourceServer>/<name>` */
export function urlScope(resourceServer: string, name: string): Scope {
  return new Scope(`${SCOPE_URL_PREFIX}${resourceServer}/${name}`);
}
