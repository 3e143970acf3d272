import { z } from 'zod';

/** A red-team severity on the wire, least to most severe (policies and runs; no other imports, so both can use it). */
export const SeverityName = z.enum(['low', 'medium', 'high', 'critical']);
