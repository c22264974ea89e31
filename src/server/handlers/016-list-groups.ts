/**
 * ListGroups (key 16), v0-v5. Filters by state (v4+) and type (v5+: "classic" or
 * "consumer", KIP-848), both case-insensitive. Groups still loading are left out, as Kafka
 * leaves out partitions it is loading.
 */
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { type ListGroupsRequest, type ListGroupsResponse, defaultListGroupsResponse, codec } from '../../protocol/generated/016-list-groups.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { authorized, authorizedOnCluster, Operation, ResourceType } from '../authorize.js';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>({
  ...schemaVersions(ApiKey.ListGroups),
  codec,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    const all = ctx.broker.groups.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
    // Kafka lists every group to DESCRIBE on the cluster, otherwise the groups one may DESCRIBE.
    const groups = authorizedOnCluster(ctx, Operation.DESCRIBE) ? all : all.filter((g) => authorized(ctx, Operation.DESCRIBE, ResourceType.GROUP, g.groupId));
    return {
      ...defaultListGroupsResponse(),
      groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: v >= 4 ? g.groupState : '', groupType: v >= 5 ? g.groupType : '' })),
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultListGroupsResponse(), errorCode };
  },
});
