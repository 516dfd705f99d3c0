// Retries for S3 calls: 5xx, throttling and network resets, with exponential backoff and jitter.
export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  signal?: AbortSignal;
}

export function isRetryable(e: unknown): boolean {
  const status = (e as { status?: number }).status;
  if (typeof status === "number") return status >= 500 || status === 429 || status === 408;
  return true; // network errors: ECONNRESET, socket hang up, fetch failed
}

export async function withRetry<T>(what: string, fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 5;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (o.signal?.aborted) throw new Error(`${what}: aborted`);
    try {
      return await fn();
    } catch (e) {
      if (!isRetryable(e)) throw e; // as it is: callers look at its status
      last = e;
      if (i === attempts - 1) break;
      const delay = (o.baseMs ?? 200) * 2 ** i * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  throw Object.assign(new Error(`${what} failed: ${(last as Error)?.message ?? String(last)}`), {
    status: (last as { status?: number })?.status,
  });
}
