// Fastify's schemaController option for instances whose routes carry no JSON schemas (the admin
// server, the data plane's listeners): without it, every fastify instance loads ajv and
// fast-json-stringify (≈ 110 modules, ≈ 4 MiB of private memory per process; bench/README.md,
// "1b. Memory") for compilers it never calls. A route given a schema later fails at registration,
// loudly, instead of quietly bringing them back.
function noSchemas(): never {
  throw new Error('this fastify instance compiles no schemas: its routes must not declare any');
}

export const NO_SCHEMA_COMPILERS = { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } } as const;
