/**
 * Limits of one native trace batch (DESIGN.md): beyond them the whole batch is refused (413 /
 * 422). Kept apart from the zod schemas so that the SDK can read them without bundling zod.
 */

/** Most spans in one `POST /api/v1/traces` batch. */
export const MAX_SPANS_PER_BATCH = 1_000;
/** Largest body of one batch, before decompression is irrelevant: counted on the decoded JSON. */
export const MAX_TRACE_BATCH_BYTES = 5 * 1024 * 1024;
/** Most keys in a span's `attributes`. */
export const MAX_SPAN_ATTRIBUTES = 128;
/** Longest attribute key. */
export const MAX_ATTRIBUTE_KEY_LENGTH = 256;
/** Longest string attribute value (characters); longer values are refused, not cut. */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 16_384;
/** Longest span name, status message, model, provider, user or session id. */
export const MAX_SPAN_TEXT_LENGTH = 1_024;
