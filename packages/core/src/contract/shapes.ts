/**
 * The typed-input and output contracts a version may declare in its config:
 *
 * ```json
 * { "input": { "schema": { "customer": { "name": "string" }, "ticket": "string" } },
 *   "output": { "format": "json", "schema": { "type": "object", "required": ["queue"] } } }
 * ```
 * `input.schema` is Picoschema or JSON Schema; `output` is `format: json` (with an optional JSON
 * Schema) or `format: text` with constraints.
 */
import { z } from 'zod';
import { SchemaError, toJsonSchema } from './picoschema.ts';

const SchemaObject = z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
  try {
    toJsonSchema(schema);
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    ctx.addIssue({
      code: 'custom',
      path: error.path === '' ? [] : error.path.split('.'),
      message: error.message,
    });
  }
});

/** `input`: the variables' schema, Picoschema or JSON Schema. */
export const InputContract = z.object({ schema: SchemaObject }).strict();

/** `output`: JSON (optionally matching a schema) or text within constraints. */
export const OutputContract = z.discriminatedUnion('format', [
  z.object({ format: z.literal('json'), schema: SchemaObject.optional() }).strict(),
  z
    .object({
      format: z.literal('text'),
      minLength: z.number().int().min(0).optional(),
      maxLength: z.number().int().min(1).optional(),
      maxWords: z.number().int().min(1).optional(),
      /** A regular expression (JavaScript syntax) the whole output must match somewhere. */
      pattern: z
        .string()
        .refine((p) => {
          try {
            new RegExp(p, 'u');
            return true;
          } catch {
            // An invalid expression is reported as this field's issue.
            return false;
          }
        }, 'not a valid regular expression')
        .optional(),
      contains: z.array(z.string().min(1)).optional(),
      notContains: z.array(z.string().min(1)).optional(),
    })
    .strict(),
]);

export type InputContract = z.infer<typeof InputContract>;
export type OutputContract = z.infer<typeof OutputContract>;
