import { z } from 'zod';

/** Request shapes of the incident API: strict objects, so an unknown field is a 400 naming it. */
export const IncidentIdParam = z.object({
  incidentId: z.string().regex(/^inc-[a-z0-9-]{1,80}$/, 'must look like "inc-<id>"'),
});

const LabelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/), z.string().max(500)).refine((m) => Object.keys(m).length <= 50, 'at most 50 labels');

export const CreateIncidentBody = z.strictObject({
  title: z.string().min(1).max(300),
  service: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label')
    .optional(),
  severity: z.enum(['critical', 'high', 'warning', 'info']),
  description: z.string().max(5000).optional(),
  labels: LabelMap.optional(),
});

export const NoteBody = z.strictObject({ text: z.string().min(1).max(5000) });

export const FeedbackBody = z.strictObject({
  hypothesisId: z.string().min(1).max(200),
  verdict: z.enum(['confirm', 'reject']),
  comment: z.string().max(2000).optional(),
});

export const ResolveBody = z.strictObject({ resolution: z.string().max(5000).optional() });

export const RemediateBody = z.strictObject({ actionId: z.string().min(1).max(200) });

export const ListIncidentsQuery = z.strictObject({
  status: z.enum(['investigating', 'monitoring', 'resolved']).optional(),
  service: z.string().max(63).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/)
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .default(20),
});
