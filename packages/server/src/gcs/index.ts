// The Gcs service plugin: registers its routes under their prefixes with its error envelope.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';

export async function gcsService(_app: FastifyInstance, _ctx: ServiceContext): Promise<void> {}
