/**
 * Loaded into a benchmarked child with `node --import`: at exit, the child writes its own
 * peak resident set (VmHWM, bytes) and the CPU time of all its threads (user and system,
 * microseconds) to $ICQXFER_BENCH_RSS_FILE as "HWM USER SYSTEM", so a peak reached after the
 * parent's last poll is not missed. Nothing else changes in the child.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env.ICQXFER_BENCH_RSS_FILE;
if (target !== undefined && target !== '') {
  process.on('exit', () => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      const cpu = process.cpuUsage();
      if (m) writeFileSync(target, `${Number(m[1]) * 1024} ${cpu.user} ${cpu.system}`);
    } catch {
      // No /proc (not Linux): the parent's polling is all there is.
    }
  });
}
