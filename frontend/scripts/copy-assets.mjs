// Copies the proprietary Live2D runtimes and the sample models from node_modules into
// public/static at build time (they are never committed), and clears dist/ except .gitkeep.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nm = join(root, 'node_modules');
const pub = join(root, 'public', 'static');

function copy(from, to) {
  const src = join(nm, from);
  if (!existsSync(src)) throw new Error(`missing ${src}: run npm ci`);
  mkdirSync(dirname(join(pub, to)), { recursive: true });
  cpSync(src, join(pub, to), { recursive: true });
}

copy('live2dcubismcore/live2dcubismcore.min.js', 'libs/live2dcubismcore.min.js'); // Cubism Core (4/5 models)
copy('live2dcubismcore/live2d.min.js', 'libs/live2d.min.js'); // Cubism 2 runtime
copy('live2dcubismcore/characters/haru_greeter_pro_jp/runtime', 'live2d/haru_greeter'); // Cubism 4 sample
copy('live2d-widget-model-shizuku/assets', 'live2d/shizuku'); // Cubism 2 sample

const dist = join(root, 'dist');
if (existsSync(dist)) {
  for (const name of readdirSync(dist)) if (name !== '.gitkeep') rmSync(join(dist, name), { recursive: true, force: true });
}
console.log('assets copied to public/static');
