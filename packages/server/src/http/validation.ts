// Schema validation: query strings, params and headers are coerced from strings; JSON bodies are not; a parameter is given once unless its schema takes a list.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

const COMMON: Options = { useDefaults: true, removeAdditional: false, allErrors: false, allowUnionTypes: true, strict: false };

/**
 * Globus clients send Python booleans (`True`) and comma-joined lists in query strings, so those parts
 * coerce. A JSON body already has types: coercing it would turn an explicit `null` ("remove this
 * field" in a PATCH) into `""` or `0` while Ajv tries the branches of `T | null`.
 */
export function useValidation(app: FastifyInstance): void {
  const coercing = new Ajv({ ...COMMON, coerceTypes: 'array' });
  const exact = new Ajv({ ...COMMON, coerceTypes: false });
  for (const ajv of [coercing, exact]) addFormats.default(ajv);
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) => (httpPart === 'body' ? exact : coercing).compile(schema as object) as never);
  // A repeated parameter arrives as an array; code reading a route's query without a schema expects
  // strings. Such routes get this one, so `?path=/a&path=/b` is a 400 in the route's envelope.
  app.addHook('onRoute', (route) => {
    if (route.schema?.querystring === undefined) route.schema = { ...route.schema, querystring: SINGLE_VALUED_QUERY };
  });
}

/** The query of a route that declares none: any parameter, each at most once. Routes taking a list say so in their own schema. */
export const SINGLE_VALUED_QUERY = { type: 'object', additionalProperties: { type: 'string' } } as const;
