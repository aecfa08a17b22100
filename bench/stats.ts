// Small helpers of the bench: percentiles, MB, and running a job over many items N at a time.

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

export const ms = (v: number): string => `${v.toFixed(0)} ms`;
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** "p50 … / p99 … / max … (n)" of durations in milliseconds. */
export const summary = (values: number[]): string =>
  `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))} (n=${values.length})`;

/** Runs job(0..total-1), at most `concurrency` at a time; the first failure stops the rest and is thrown. */
export async function inLanes(total: number, concurrency: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (next < total && failed === undefined) {
      const i = next++;
      try {
        await job(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  if (failed !== undefined) throw failed;
}
