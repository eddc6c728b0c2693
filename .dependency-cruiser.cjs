// Dependency rules: authz/ decides from facts it is given; services are layered and never reach into each other's routes; no import cycles.

/**
 * The server's services from the bottom up. A module may import, at run time, only from its own service
 * or one below it; type-only imports are free (they vanish at run time and carry no behaviour). So no two
 * services depend on each other, and a decision never waits on a route.
 */
const LAYERS = ['authz', 'store', 'http', 'auth', 'groups', 'gcs', 'data', 'transfer'];
const runtime = { dependencyTypesNot: ['type-only', 'type-import'] };
const src = 'packages/server/src';

const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer}`,
  severity: 'error',
  comment: `${layer}/ sits below ${LAYERS.slice(i + 1).join(', ') || 'nothing'}: it may not import them at run time.`,
  from: { path: `^${src}/${layer}/` },
  to: { path: `^${src}/(${LAYERS.slice(i + 1).join('|') || '(?!)'})/`, ...runtime },
})).filter((rule) => rule.to.path !== `^${src}/((?!))/`);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A run-time import cycle makes load order matter and hides layering mistakes.',
      from: {},
      to: { circular: true, viaOnly: runtime },
    },
    {
      name: 'authz-is-pure',
      severity: 'error',
      comment: 'authz/ holds pure decisions: facts come in as arguments, never from the store, HTTP or a service.',
      from: { path: `^${src}/authz/` },
      to: { path: `^${src}/(?!authz/)`, ...runtime },
    },
    {
      name: 'no-foreign-routes',
      severity: 'error',
      comment: "A service's routes are its own: a shape two services share lives in a module both may import.",
      from: { path: `^${src}/([^/]+)/` },
      to: { path: `^${src}/[^/]+/routes`, pathNot: `^${src}/$1/` },
    },
    {
      name: 'sdk-and-cli-have-no-server-code',
      severity: 'error',
      from: { path: '^packages/(sdk|cli)/src/' },
      to: { path: '^packages/server/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)test/' },
  },
};
