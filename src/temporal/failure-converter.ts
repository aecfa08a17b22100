// Failure messages and stack traces can quote provider answers; encoding them as payloads lets the
// encryption codec cover them too. Loaded by path (failureConverterPath) inside the workflow bundle.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
