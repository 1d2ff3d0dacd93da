import { z } from 'zod';

/** A credential: inline (demo only), from the environment, or from a mounted file. Never logged. */
export const secretSchema = z.union([
  z.string().transform((value) => ({ value })),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type Secret = z.infer<typeof secretSchema>;
