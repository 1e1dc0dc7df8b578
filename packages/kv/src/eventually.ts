/**
 * Polls `condition` until it holds or the deadline passes. Tests synchronise on real state
 * (a key gone, a lock free again) this way instead of sleeping for a guessed duration.
 */
export async function eventually(what: string, condition: () => Promise<boolean>, timeoutMs = 5_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
