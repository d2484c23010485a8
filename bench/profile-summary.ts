/**
 * Where a server process spent its CPU time, from a V8 `.cpuprofile` (BENCH_CPU_PROF=ours):
 *   npx tsx bench/profile-summary.ts bench/results/profiles/ours-….cpuprofile [top]
 * Prints self time by package (or source area) and the functions with the most self time.
 */
import { readProfile, selfTime } from './lib/profile.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const { total, byArea, byFunction } = selfTime(readProfile(file));

const pctOf = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
console.log(`total sampled: ${(total / 1e6).toFixed(1)} s\n\nself time by area:`);
for (const [a, us] of byArea.slice(0, top)) console.log(`${pctOf(us)}  ${a}`);
console.log('\nself time by function:');
for (const [f, us] of byFunction.slice(0, top)) console.log(`${pctOf(us)}  ${f}`);
