// The JSON Schema of the spec, generated from the zod definitions (see esbuild.mjs, which writes
// schemas/interactions.schema.json at build time). VS Code's JSON support uses it for completion,
// hovers and validation of spec files.
import { z } from 'zod';
import { SpecSchema } from './schema';

type JsonSchema = { [key: string]: unknown };

/** Objects in the spec accept only their known fields: unknown ones are flagged as the loader does. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(closeObjects);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as JsonSchema;
  if (obj.type === 'object' && obj.properties && obj.additionalProperties === undefined) {
    obj.additionalProperties = false;
  }
  for (const value of Object.values(obj)) closeObjects(value);
}

export function specJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(SpecSchema, { io: 'input', target: 'draft-7' }) as JsonSchema;
  closeObjects(schema);
  return { ...schema, $id: 'https://integration-builder.invalid/schemas/interactions.schema.json' };
}
