// Dependency rules: authz/ decides from facts it is given; services are layered and never reach into each other's routes; no import cycles.

/**
 * The server's layers from the bottom up, each a set of paths under packages/server/src. A module may
 * import, at run time, only from its own layer or one below it; type-only imports are free (they vanish at
 * run time and carry no behaviour). So no two services depend on each other, and a decision never waits
 * on a route. `storage` is the POSIX connector and path resolution: the data plane's machinery, which GCS
 * also uses to judge a guest's base path, below every service.
 */
const LAYERS = [
  ['authz', 'authz/'],
  ['store', 'store/'],
  ['http', 'http/'],
  ['storage', 'data/(posix/|paths\\.ts$|gc\\.ts$)'],
  ['auth', 'auth/'],
  ['groups', 'groups/'],
  ['gcs', 'gcs/'],
  ['data', 'data/(?!posix/|paths\\.ts$|gc\\.ts$)'],
  ['transfer', 'transfer/'],
];
const runtime = { dependencyTypesNot: ['type-only', 'type-import'] };
const src = 'packages/server/src';

const layerRules = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  severity: 'error',
  comment: `${name} sits below ${LAYERS.slice(i + 1)
    .map(([n]) => n)
    .join(', ')}: it may not import them at run time.`,
  from: { path: `^${src}/${path}` },
  to: { path: LAYERS.slice(i + 1).map(([, above]) => `^${src}/${above}`), ...runtime },
}));

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
