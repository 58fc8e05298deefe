// The options every HTTP benchmark shares, and the benchmark lock taken before anything runs.
//
//   --quick            smoke run: tiny sizes and durations, prints only (add --write to write anyway)
//   --reps N           reps per configuration
//   --warmup S         seconds of load before each measured run
//   --duration S       measured seconds per rep
//   --write/--no-write write the benchmark's section of BENCHMARKS.md (a full run writes by default)
// and, for benchmarks on the segments data set, --customers N --events N --conns N --profile/--no-profile.

import { runUnderBenchLock } from './lock.mjs';
import { parseArgs } from './paths.mjs';

/** Parses the shared options, takes the benchmark lock (a smoke run also takes it), and returns them. */
export function benchOptions(argv = process.argv.slice(2)) {
  const { flag, option } = parseArgs(argv);
  const quick = flag('--quick');
  runUnderBenchLock({ measurement: !quick });
  return {
    argv,
    flag,
    option,
    common: {
      quick,
      reps: Number(option('--reps', quick ? 1 : 3)),
      warmup: Number(option('--warmup', quick ? 1 : 3)),
      duration: Number(option('--duration', quick ? 3 : 10)),
      write: quick ? flag('--write') : !flag('--no-write'),
    },
    /** Size of the segments data set, load connections, and the extra CPU-profiled rep of a full run. */
    segmentsData: {
      customers: Number(option('--customers', quick ? 5_000 : 100_000)),
      events: Number(option('--events', quick ? 50_000 : 1_000_000)),
      conns: Number(option('--conns', 10)),
      profile: flag('--profile') || (!quick && !flag('--no-profile')),
    },
  };
}
