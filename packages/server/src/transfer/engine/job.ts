// The task engine as a job of the Transfer plugin: started when the server is ready, stopped (its tasks given back) when it closes.
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../context.ts';
import { TaskEngine } from './engine.ts';

export function taskEngineJob(app: FastifyInstance, ctx: ServiceContext): void {
  if (ctx.config.taskConcurrency <= 0) return;
  const engine = new TaskEngine(
    ctx,
    { tasksPerProcess: ctx.config.taskConcurrency, filesPerTask: ctx.config.taskFileConcurrency, leaseMs: ctx.config.taskLeaseSeconds * 1000 },
    app.log,
  );
  app.addHook('onReady', async () => engine.start());
  // Before the data plugin reaps the connectors' workers: the engine's copies use them.
  app.addHook('preClose', async () => engine.stop());
}
