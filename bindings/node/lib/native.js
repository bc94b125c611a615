'use strict';
// Loads the addon (built from src/addon.cc by node-gyp) and, once, libe2b itself: from
// LIBE2B_PATH, else the system loader's `libe2b.so.0`. The addon checks e2b_abi_version().
const path = require('node:path');

let addon;
let loadedFrom;

function native() {
  if (loadedFrom) return addon;
  if (!addon) {
    const built = path.join(__dirname, '..', 'build', 'Release', 'e2b_node.node');
    try {
      addon = require(built);
    } catch (e) {
      throw new Error(`libe2b: the native addon is not built (${built}): run \`npm run build\` (${e.message})`);
    }
  }
  loadedFrom = addon.load(process.env.LIBE2B_PATH || 'libe2b.so.0');
  return addon;
}

module.exports = { native, libraryPath: () => loadedFrom };
