/**
 * ConsumerGroupDescribe (key 69), v0-v1: KIP-848 consumer groups with their epochs, members,
 * current and target assignments. A group that does not exist, or is not a consumer group,
 * answers GROUP_ID_NOT_FOUND, as Kafka's. v1 adds the member type (0: a classic member of the
 * consumer group, 1: consumer protocol).
 */
import { GROUP_OPERATIONS, OPERATIONS_OMITTED } from '../../cluster/authorized-operations.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import {
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  defaultConsumerGroupDescribeResponse,
  codec,
} from '../../protocol/generated/069-consumer-group-describe.js';
import { defineHandler, schemaVersions } from '../handler.js';

/** MemberType before v1. */
const UNKNOWN_MEMBER_TYPE = -1;

export const consumerGroupDescribeHandler = defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  ...schemaVersions(ApiKey.ConsumerGroupDescribe),
  codec,
  handle(req, ctx) {
    const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_OMITTED;
    return {
      ...defaultConsumerGroupDescribeResponse(),
      groups: req.groupIds.map((id) => {
        const d = ctx.broker.groups.consumerGroupDescribe(id);
        return { ...d, members: ctx.apiVersion >= 1 ? d.members : d.members.map((m) => ({ ...m, memberType: UNKNOWN_MEMBER_TYPE })), authorizedOperations: d.errorCode === 0 ? ops : OPERATIONS_OMITTED };
      }),
    };
  },
  errorResponse(req, errorCode) {
    return {
      ...defaultConsumerGroupDescribeResponse(),
      groups: req.groupIds.map((groupId) => ({
        errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: OPERATIONS_OMITTED,
      })),
    };
  },
});
