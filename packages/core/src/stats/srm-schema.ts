import { z } from 'zod';

/** The sample-ratio check as the API answers it (see srm.ts). */
export const SrmResult = z.object({
  chiSquare: z.number(),
  df: z.number().int(),
  pValue: z.number(),
  ok: z.boolean(),
});
