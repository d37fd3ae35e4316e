// Import direction, checked by `npm test` (dependency-cruiser). Type-only imports count: a cycle through
// types is still a knot a reader has to untie.
//   adapters ← edge, adapters ← bridge; edge and bridge never import each other.
//   inside edge: entry points (app, index, routes, middleware, objects) → services (services, webhooks, rules,
//   scheduler) → db / lib. Services reach Durable Objects only through objects/contracts.ts.
const DOMAIN = '^edge/(services|webhooks|scheduler|rules)/';
const ENTRY = '^edge/(app\\.ts|index\\.ts|routes/|middleware/|ui/pages\\.ts|objects/(?!contracts\\.ts))';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'A cycle, counting type imports', from: {}, to: { circular: true } },
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true, pathNot: '^cloudflare:' } },
    {
      name: 'adapters-stand-alone',
      severity: 'error',
      comment: 'adapters/ runs unchanged in workerd and Node: it imports neither side nor Node built-ins',
      from: { path: '^adapters/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^edge/', '^bridge/', '^scripts/', '^test/', '^bench/'], dependencyTypesNot: ['npm', 'npm-dev'] },
    },
    {
      name: 'adapters-no-node',
      severity: 'error',
      from: { path: '^adapters/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'edge-not-bridge',
      severity: 'error',
      comment: 'The edge knows the bridge only through adapters/protocol.ts',
      from: { path: '^edge/' },
      to: { path: '^bridge/' },
    },
    {
      name: 'bridge-not-edge',
      severity: 'error',
      comment: 'The bridge knows the edge only through adapters/protocol.ts',
      from: { path: '^bridge/' },
      to: { path: '^edge/' },
    },
    {
      name: 'shipped-code-not-tooling',
      severity: 'error',
      comment: 'The Worker and the bridge never import benchmarks, scripts or cross-package tests',
      from: { path: '^(edge|bridge|adapters)/', pathNot: '\\.test\\.ts$|^edge/test/' },
      to: { path: ['^bench/', '^scripts/', '^test/', '^edge/test/'] },
    },
    {
      name: 'services-not-entry-points',
      severity: 'error',
      comment: 'services → db/lib, never back up to routes, middleware or object classes',
      from: { path: DOMAIN, pathNot: '\\.test\\.ts$' },
      to: { path: ENTRY },
    },
    {
      name: 'db-lib-at-the-bottom',
      severity: 'error',
      from: { path: '^edge/(db|lib)/', pathNot: '\\.test\\.ts$' },
      to: { path: ['^edge/(services|webhooks|scheduler|rules|routes|middleware|objects)/', '^edge/(app|index)\\.ts$'] },
    },
    {
      name: 'middleware-not-routes',
      severity: 'error',
      from: { path: '^edge/middleware/' },
      to: { path: ['^edge/routes/', '^edge/objects/(?!contracts\\.ts)'] },
    },
    {
      name: 'routes-not-object-classes',
      severity: 'error',
      comment: 'Routes reach objects through services',
      from: { path: '^edge/routes/' },
      to: { path: '^edge/objects/' },
    },
    {
      name: 'route-areas-apart',
      severity: 'error',
      comment: 'One folder per OpenAPI tag; shared schemas live in edge/lib/schemas.ts',
      from: { path: '^edge/routes/([^/]+)/' },
      to: { path: '^edge/routes/', pathNot: '^edge/routes/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^openapi/client/schema\\.d\\.ts$', '^edge/ui/public/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
