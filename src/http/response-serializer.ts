import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import fastJsonStringify from 'fast-json-stringify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The document without `additionalProperties: false`, which zod writes on the output side only. */
const openObjects = (document: object) =>
  JSON.stringify(document, (key, value: unknown) => (key === 'additionalProperties' && value === false ? undefined : value));

/**
 * The JSON Schema of a zod schema when it describes the JSON exactly, else undefined: the same
 * document for the input and the output side but for the closing of objects (so no transform,
 * codec, default or pipe changes a value on the way out) and nothing zod cannot represent
 * (z.toJSONSchema throws on those).
 */
function exactJsonSchema(schema: z.ZodType): object | undefined {
  try {
    const output = z.toJSONSchema(schema, { io: 'output', target: 'draft-7', unrepresentable: 'throw' });
    const input = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'throw' });
    return openObjects(input) === openObjects(output) ? output : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Response serialization through fast-json-stringify (fastify's own serializer), compiled once
 * per route and status from the JSON Schema of the route's zod response schema, so zod stays the
 * single source. It keeps the guarantee the zod serializer gave: only declared fields leave. A
 * strict or stripping `z.object` becomes `additionalProperties: false`, and fast-json-stringify
 * writes only the properties a schema names (README of fast-json-stringify, "additionalProperties");
 * a `.loose()` object (problem bodies) lets extra members through, as zod did. A missing required
 * field throws, as zod's check did (a 500, never a partial body). Schemas whose JSON Schema is not
 * exact (transforms, codecs, defaults) keep the zod serializer of fastify-type-provider-zod.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  // fastify-type-provider-zod also accepts a schema wrapped as `{ properties: schema }`.
  const schema = route.schema instanceof z.ZodType ? route.schema : (route.schema as { properties?: unknown } | undefined)?.properties;
  if (!(schema instanceof z.ZodType)) return zodSerializerCompiler(route);
  let serialize = compiled.get(schema);
  if (serialize === undefined) {
    const jsonSchema = exactJsonSchema(schema);
    if (jsonSchema === undefined) return zodSerializerCompiler(route);
    serialize = fastJsonStringify(jsonSchema as Parameters<typeof fastJsonStringify>[0]);
    compiled.set(schema, serialize);
  }
  return serialize;
};

/**
 * One compiled serializer per zod schema, whichever routes and statuses use it: the problem body of every route, the
 * credential view of each brand's create and PATCH route (credential-writes.routes.ts) are compiled once.
 */
const compiled = new WeakMap<z.ZodType, (data: unknown) => string>();
