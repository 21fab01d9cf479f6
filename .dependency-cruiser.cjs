/**
 * Import rules checked by `npm run lint` (and so by `npm test` and CI).
 * Arrows point one way: cli → kinds/queue → runs → repo/io/onnx → errors/config.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order matter and modules impossible to test alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'cli-only-in-cli',
      severity: 'error',
      comment: 'CLI code lives in src/cli/ only: the library (queue, repository, runs, kinds, io) never imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'queue-and-cli-reach-kinds-through-the-registry',
      severity: 'error',
      comment: 'src/queue and src/cli dispatch on kind: they import src/kinds (the registry), never src/predict directly.',
      from: { path: '^src/(queue|cli)/' },
      to: { path: '^src/predict/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
