// A mutual-exclusion lock for message handlers: two code checks (or a check and a resend) for the
// same onboarding must not interleave their provider calls and attempt counting.
import { condition } from '@temporalio/workflow';

export class Lock {
  private held = false;

  async run<T>(critical: () => Promise<T>): Promise<T> {
    await condition(() => !this.held);
    this.held = true;
    try {
      return await critical();
    } finally {
      this.held = false;
    }
  }
}
