/** DescribeAcls without an authorizer: Kafka's SECURITY_DISABLED, at every version. */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/protocol/generated/api-keys.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { type ApiVersionsResponse, defaultApiVersionsRequest } from '../../../src/protocol/generated/018-api-versions.js';
import { type DescribeAclsResponse, defaultDescribeAclsRequest } from '../../../src/protocol/generated/029-describe-acls.js';
import { openHarness } from '../../support/admin-fixture.js';

describe('DescribeAcls', () => {
  it('is advertised as v0-v3 and answers SECURITY_DISABLED with no ACLs', async () => {
    const h = await openHarness();
    try {
      const versions = await h.client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, defaultApiVersionsRequest());
      expect(versions.apiKeys.find((k) => k.apiKey === ApiKey.DescribeAcls)).toMatchObject({ minVersion: 0, maxVersion: 3 });
      for (const version of [0, 1, 2, 3]) {
        // Resource type 2 (topic), pattern type 1 (any; v0 knows literal only): the filter MirrorMaker 2 sends.
        const res = await h.client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, version, {
          ...defaultDescribeAclsRequest(),
          resourceTypeFilter: 2,
          patternTypeFilter: version === 0 ? 3 : 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        });
        expect(res).toMatchObject({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', resources: [] });
      }
    } finally {
      await h.close();
    }
  });
});
