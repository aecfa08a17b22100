// Counts the calls the Temporal server's front end answered, by operation, from the dev server's
// Prometheus endpoint (its `service_requests` counter), so that a phase's calls are the difference
// between two readings.
export type CallCounts = Map<string, number>;

export async function readCalls(metricsUrl: string): Promise<CallCounts> {
  const text = await (await fetch(metricsUrl)).text();
  const counts: CallCounts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('service_requests{')) continue;
    const operation = /operation="([^"]+)"/.exec(line)?.[1];
    if (!operation || !/service_name="frontend"/.test(line)) continue;
    counts.set(operation, (counts.get(operation) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

export function callsBetween(before: CallCounts, after: CallCounts): CallCounts {
  const out: CallCounts = new Map();
  for (const [op, n] of after) {
    const d = n - (before.get(op) ?? 0);
    if (d > 0) out.set(op, d);
  }
  return new Map([...out].sort((a, b) => b[1] - a[1]));
}
