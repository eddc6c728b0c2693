// Schema helpers shared by every service's TypeBox documents.
import { Type, type TSchema } from '@fastify/type-provider-typebox';

/** `T | null`: an explicit null is meaningful on the wire (PATCH removes the field). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
