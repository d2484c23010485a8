// Copies what the compiled server reads at run time next to it: the output directory (dist/, or
// the one given as the first argument) mirrors the source tree.
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2] ?? 'dist';
const assets = ['views', 'src/mobileid/trust'];
for (const from of assets) fs.cpSync(from, path.join(out, from), { recursive: true });
