// The admin server and the data plane's listeners run fastify without schema compilers
// (NO_SCHEMA_COMPILERS): everything those instances do must work without one, and a route that
// declares a schema must be refused rather than silently loading ajv again.
import { describe, expect, it } from '@jest/globals';
import fastify from 'fastify';
import { NO_SCHEMA_COMPILERS } from '../../../src/util/no-schemas.js';

describe('NO_SCHEMA_COMPILERS', () => {
  it('serves JSON answers, errors, 404s and JSON bodies without a compiler', async () => {
    const app = fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
    app.get('/json', async () => ({ a: 1 }));
    app.get('/error', async () => {
      throw new Error('boom');
    });
    app.post('/echo', async (req) => ({ got: req.body }));
    try {
      expect((await app.inject({ url: '/json' })).json()).toEqual({ a: 1 });
      const error = await app.inject({ url: '/error' });
      expect(error.statusCode).toBe(500);
      expect(error.json()).toMatchObject({ message: 'boom' });
      expect((await app.inject({ url: '/missing' })).statusCode).toBe(404);
      const echo = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"x":1}' });
      expect(echo.json()).toEqual({ got: { x: 1 } });
      const bad = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{bad' });
      expect(bad.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('refuses a route that declares a schema', async () => {
    const app = fastify({ logger: false, schemaController: NO_SCHEMA_COMPILERS });
    app.get('/typed', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async () => 'ok');
    await expect(app.ready()).rejects.toThrow(/compiles no schemas/);
    await app.close().catch(() => undefined);
  });
});
