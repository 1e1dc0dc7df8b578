/** Polls a real condition until it holds or the deadline passes (never a fixed sleep). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what: () => string = () => 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
