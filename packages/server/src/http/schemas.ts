// Schema helpers shared by every service's TypeBox documents.
import { Type, type TSchema } from '@fastify/type-provider-typebox';

/** `T | null`: an explicit null is meaningful on the wire (PATCH removes the field). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * Marks a response schema whose documents are open (their fields vary by DATA_TYPE version): compiled
 * serializers add nothing over JSON.stringify there, and on a page of 100 documents cost four times as much.
 */
export const OPEN_DOCUMENTS = 'x-open-documents';
