import { describe, expect, test } from '@jest/globals';
import { apiErrorName, isConflict, isNotFound, KubeRequestError, summarizeApiError, withTimeout } from '../../../src/k8s/api-error.js';

describe('summarizeApiError', () => {
  test('our own request errors', () => {
    const err = new KubeRequestError('list', '/api/v1/secrets', 403, 'secrets is forbidden');
    expect(summarizeApiError(err)).toEqual({ status: 403, reason: 'secrets is forbidden' });
    expect(err.message).toBe('list /api/v1/secrets: 403 secrets is forbidden');
    expect(apiErrorName(summarizeApiError(err))).toBe('K8sForbidden');
  });
  test('generated-client exceptions carry a Status body as text or object', () => {
    const asText = Object.assign(new Error('HTTP-Code: 409'), { code: 409, body: JSON.stringify({ kind: 'Status', message: 'the object has been modified' }) });
    expect(summarizeApiError(asText)).toEqual({ status: 409, reason: 'the object has been modified' });
    expect(isConflict(asText)).toBe(true);
    const asObject = Object.assign(new Error('x'), { code: 404, body: { message: 'not found' } });
    expect(isNotFound(asObject)).toBe(true);
    expect(summarizeApiError(Object.assign(new Error('x'), { code: 500, body: '' }))).toEqual({ status: 500, reason: 'HTTP 500' });
  });
  test('watch errors and network errors', () => {
    expect(summarizeApiError(Object.assign(new Error('Unauthorized'), { statusCode: 401 }))).toEqual({ status: 401, reason: 'Unauthorized' });
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) });
    const s = summarizeApiError(refused);
    expect(s).toEqual({ status: undefined, reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443' });
    expect(apiErrorName(s)).toBe('K8sUnreachable');
    expect(summarizeApiError('weird')).toEqual({ status: undefined, reason: 'weird' });
    expect(apiErrorName({ status: 500, reason: '' })).toBe('K8sRequestFailed');
    expect(apiErrorName({ status: 401, reason: '' })).toBe('K8sUnauthorized');
  });
});

describe('withTimeout', () => {
  test('passes results through and bounds slow calls', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'fast')).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 10, 'slow call')).rejects.toThrow('slow call timed out after 10 ms');
  });
});

describe('429 Retry-After', () => {
  test('its seconds, else 1 s, capped at 5 s', async () => {
    const { retryAfterMs } = await import('../../../src/k8s/rest.js');
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(null)).toBe(1000);
    expect(retryAfterMs('junk')).toBe(1000);
    expect(retryAfterMs('60')).toBe(5000);
  });
});
