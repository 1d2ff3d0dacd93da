import { afterAll, beforeAll } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { connectNats } from '../../common/transport/nats-connect.ts';

/** A real nats-server and a connection to it for the whole file; both are closed after the last test. */
export function useNatsServer(): { readonly server: NatsServer; readonly nc: NatsConnection } {
  const ctx = {} as { server: NatsServer; nc: NatsConnection };
  beforeAll(async () => {
    ctx.server = await NatsServer.start();
    ctx.nc = await connectNats({ servers: [ctx.server.url], retryFirstConnect: false });
  });
  afterAll(async () => {
    await ctx.nc?.close();
    await ctx.server?.dispose();
  });
  return ctx;
}
