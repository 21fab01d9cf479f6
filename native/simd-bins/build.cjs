// Builds the addon with the node-gyp that npm runs scripts with (`node
// build.cjs` by hand: the one installed with this node). Where this
// node's own headers are installed beside it (<prefix>/include/node, the same
// version), they are used, so that no header download is needed; otherwise
// node-gyp fetches them. A failed build fails this optional dependency only:
// ortq then counts with its WebAssembly kernel.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  // npm's own copy, beside the npm running this script
  const npm = process.env.npm_execpath ? resolve(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : '';
  if (npm && existsSync(npm)) return npm;
  // run by hand (node build.cjs): the npm installed with this node
  const bundled = resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? bundled : require.resolve('node-gyp/bin/node-gyp.js');
}

function localHeaders() {
  const prefix = resolve(dirname(process.execPath), '..');
  const version = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(join(prefix, 'include', 'node', 'common.gypi')) || !existsSync(version)) return null;
  const text = readFileSync(version, 'utf8');
  const part = (name) => (new RegExp(`#define ${name} (\\d+)`).exec(text) ?? [])[1];
  const v = `v${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}`;
  return v === process.version ? prefix : null;
}

const headers = localHeaders();
const args = [nodeGyp(), 'rebuild', ...(headers ? [`--nodedir=${headers}`] : [])];
const r = spawnSync(process.execPath, args, { cwd: __dirname, stdio: 'inherit' });
process.exit(r.status ?? 1);
