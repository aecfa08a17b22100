// What the kernel says about a process and its descendants: resident memory and CPU time, read
// from /proc (Linux only), so that each process of the stack is measured on its own.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function statOf(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and brackets: the fields after its last ')' count.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** The process and every process below it (tsx, the dev server's children). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds (user + system) used so far by the process and its descendants. */
export function cpuSeconds(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + (statOf(pid)?.cpuTicks ?? 0), 0) / TICKS_PER_SECOND;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory now and its peak (the kernel's high-water mark), in bytes, of one process. */
export const rssOf = (pid: number): { rss: number; peak: number } => ({ rss: statusField(pid, 'VmRSS'), peak: statusField(pid, 'VmHWM') });
