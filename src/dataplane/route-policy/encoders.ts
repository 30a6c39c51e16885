// Which encoder a compressed answer's body goes through (body-encoder.ts says why there are two).
import type { ServerResponse } from 'node:http';
import type { Metrics } from '../../metrics.js';
import type { CompressionType } from '../../table/types.js';
import { type BodyEncoder, type EncoderOwner, StreamingEncoder, WHOLE_BODY_MAX_BYTES } from './body-encoder.js';
import { WholeBodyEncoder } from './whole-body-encoder.js';

/** The encoder for an answer whose upstream body is `length` bytes long (undefined: unknown, chunked or streamed). */
export function createBodyEncoder(type: CompressionType, length: number | undefined, res: ServerResponse, metrics: Metrics, owner: EncoderOwner): BodyEncoder {
  if (length !== undefined && length <= WHOLE_BODY_MAX_BYTES) return new WholeBodyEncoder(type, length, res, metrics, owner);
  return new StreamingEncoder(type, length, res, metrics, owner);
}
