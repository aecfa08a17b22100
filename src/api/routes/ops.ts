// Mount point for the ops and back-office calls of CONTRACT part 3 (`/ops/onboardings`, …).
// Everything under it requires `Authorization: Bearer <OPS_API_KEY>`; the routes themselves are
// still to be written: add them to this router (see routes/onboardings.ts for the Temporal helpers).
import express, { Router } from 'express';
import { opsAccess } from '../auth';
import type { ApiContext } from '../context';

export function opsRouter(ctx: ApiContext): Router {
  const router = Router();
  router.use(opsAccess(ctx));
  router.use(express.json({ limit: '64kb' }));
  return router;
}
