/**
 * DescribeCluster (key 60), v0-v2. The one broker, the cluster id, and this broker as
 * controller id (a KRaft broker listener answers a live broker there, its controllers having
 * no endpoint for clients). clusterAuthorizedOperations is filled when asked for, with every
 * cluster operation, as Kafka without an authorizer. The endpoint type (v1) is checked as
 * Kafka's AuthHelper.computeDescribeClusterResponse checks it on a broker listener: 2
 * (controllers) → MISMATCHED_ENDPOINT_TYPE "The request was sent to an endpoint of type
 * BROKER, but we wanted an endpoint of type CONTROLLER"; a type other than 1 or 2 →
 * UNSUPPORTED_ENDPOINT_TYPE "Unsupported endpoint type <n>"; v0 answers INVALID_REQUEST in
 * both cases. A refused request carries the code and message only. v2's fenced flag is
 * always false: the one broker serving the request is not fenced.
 */
import { CLUSTER_OPERATIONS, OPERATIONS_OMITTED } from '../../cluster/authorized-operations.js';
import { clusterBrokers } from '../../cluster/partition-leadership.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  defaultDescribeClusterResponse,
  codec,
} from '../../protocol/generated/060-describe-cluster.js';
import { defineHandler, schemaVersions } from '../handler.js';

const ENDPOINT_BROKER = 1;
const ENDPOINT_CONTROLLER = 2;

export const describeClusterHandler = defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  ...schemaVersions(ApiKey.DescribeCluster),
  codec,
  handle(req, ctx) {
    const { broker, apiVersion } = ctx;
    if (req.endpointType !== ENDPOINT_BROKER) {
      const known = req.endpointType === ENDPOINT_CONTROLLER;
      return {
        ...defaultDescribeClusterResponse(),
        errorCode: apiVersion === 0 ? ErrorCode.INVALID_REQUEST : known ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: known
          ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
          : `Unsupported endpoint type ${req.endpointType}`,
      };
    }
    return {
      ...defaultDescribeClusterResponse(),
      endpointType: ENDPOINT_BROKER,
      clusterId: broker.clusterId,
      controllerId: broker.cluster?.controllerId ?? broker.nodeId,
      brokers: clusterBrokers(broker, broker.advertisedFor(ctx.connection.listenerName)).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isFenced: false })),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OPERATIONS_OMITTED,
    };
  },
  errorResponse(_req, errorCode) {
    return { ...defaultDescribeClusterResponse(), errorCode };
  },
});
