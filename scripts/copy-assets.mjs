// Copies what the compiled server reads at run time next to it: dist/ mirrors the source tree.
import fs from 'node:fs';

const assets = [
  ['views', 'dist/views'],
  ['src/mobileid/trust', 'dist/src/mobileid/trust'],
];
for (const [from, to] of assets) fs.cpSync(from, to, { recursive: true });
