import type { z } from 'zod';
import type { MeResponse as MeSchema } from '../../../api/routes/me';

/** GET /api/v1/me, derived from the route's zod schema (type-only: nothing of zod reaches the bundle). */
export type MeResponse = z.infer<typeof MeSchema>;
