// The task routes of Transfer (submission, task documents and lists, task management, endpoint manager), in their own scope for §0.2's ClientError.* codes.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import { useErrorEnvelope } from '../../http/errors.ts';
import { renderTaskError } from '../envelope.ts';
import { submissionRoutes } from './submission.ts';
import { ownerTaskRoutes } from './task-routes.ts';
import { managerTaskRoutes } from './manager-routes.ts';

export async function taskRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  // A child scope: its routes keep Transfer's caller policy and answer errors with the task routes' codes.
  await app.register(async (scope) => {
    useErrorEnvelope(scope, renderTaskError);
    await submissionRoutes(scope, ctx);
    await ownerTaskRoutes(scope, ctx);
    await managerTaskRoutes(scope, ctx);
  });
}
