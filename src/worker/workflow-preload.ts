// Loaded once into the worker's shared workflow context (the bundle's `preloadModules`): zod and the
// domain's schemas, which the workflow code imports, are then evaluated once per worker and shared
// by every cached onboarding, instead of once per onboarding. Measured (bench/workflow-weight.ts):
// they were most of a cached onboarding's 2.1 MB of heap, a zod schema being dozens of closures.
//
// Only modules without per-workflow state belong here: the SDK deep-freezes what this file loads and
// every workflow of the worker sees the same objects. The domain modules declare schemas and
// constants only; a module-level variable added to one of them would be shared by all onboardings.
import * as zod from 'zod';
import * as failures from '../domain/failures';
import * as files from '../domain/files';
import * as kycRecord from '../domain/kyc-record';
import * as onboarding from '../domain/onboarding';
import * as partnerEvents from '../domain/partner-events';

// zod decides lazily whether it may compile parsers with `new Function`, caching the answer by
// redefining a property of a shared object; once frozen, that redefinition would throw: decide now.
void zod.util.allowsEval.value;

/** Exported so that the bundler keeps every module above whole, under the ids the workflows use. */
export const preloaded = { zod, failures, files, kycRecord, onboarding, partnerEvents };
