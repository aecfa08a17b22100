// Failure messages and stack traces can quote provider answers; encoding them as payloads lets the
// encryption codec cover them too. Loaded by path (failureConverterPath) by the SDK, in the worker,
// the clients and inside the workflow bundle, hence plain CommonJS that every loader can require.
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
