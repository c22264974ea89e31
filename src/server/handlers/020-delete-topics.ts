/**
 * DeleteTopics (key 20), v0-v6. Topics by name (topicNames, v0-v5) or by name or id
 * (topics, v6), with Kafka's controller checks: INVALID_REQUEST for an entry with neither
 * name nor id, with both, for a name or id given twice ("Duplicate topic name." /
 * "Duplicate topic id.") and for a name that maps to an id already given;
 * UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID for topics that do not exist. With
 * delete.topic.enable=false every topic is refused: INVALID_REQUEST "Topic deletion is
 * disabled." before v3, TOPIC_DELETION_DISABLED from v3.
 *
 * Differences from Kafka: deletion is synchronous (timeoutMs is not waited on) and results
 * come in request order rather than shuffled. Kafka (KRaft) lets anyone allowed to delete a
 * topic delete __consumer_offsets or __transaction_state; Skiff refuses, with the code and
 * wording Kafka uses when DeleteRecords is aimed at an internal topic
 * (INVALID_TOPIC_EXCEPTION "Cannot delete internal topic <name>").
 */
import { ZERO_UUID } from '../../protocol/codec/uuid.js';
import { ApiKey } from '../../protocol/generated/api-keys.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  type DeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  defaultDeletableTopicResult,
  defaultDeleteTopicsResponse,
  codec,
} from '../../protocol/generated/020-delete-topics.js';
import { INTERNAL_TOPICS } from '../../cluster/topic-names.js';
import { defineHandler, schemaVersions } from '../handler.js';
import { KafkaError } from '../../errors.js';

const UNKNOWN_TOPIC_MESSAGE = 'This server does not host this topic-partition.';
const UNKNOWN_TOPIC_ID_MESSAGE = 'This server does not host this topic ID.';

function result(name: string | null, topicId: string, errorCode: number, errorMessage: string | null): DeletableTopicResult {
  return { ...defaultDeletableTopicResult(), name, topicId, errorCode, errorMessage };
}

/** Every topic the request names, once, for an answer that refuses them all. */
function allRefused(req: DeleteTopicsRequest, errorCode: number, errorMessage: string | null): DeleteTopicsResponse {
  const responses = [
    ...req.topicNames.map((name) => result(name, ZERO_UUID, errorCode, errorMessage)),
    ...req.topics.map((t) => result(t.name, t.topicId, errorCode, errorMessage)),
  ];
  return { ...defaultDeleteTopicsResponse(), responses };
}

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  ...schemaVersions(ApiKey.DeleteTopics),
  codec,
  async handle(req, ctx) {
    const { broker, apiVersion } = ctx;
    if (!broker.config.values['delete.topic.enable']) {
      return apiVersion < 3
        ? allRefused(req, ErrorCode.INVALID_REQUEST, 'Topic deletion is disabled.')
        : allRefused(req, ErrorCode.TOPIC_DELETION_DISABLED, null);
    }
    const responses: DeletableTopicResult[] = [];
    const names = new Set<string>();
    const duplicateNames = new Set<string>();
    const ids = new Set<string>();
    const duplicateIds = new Set<string>();
    const addName = (name: string) => {
      if (duplicateNames.has(name) || names.has(name)) {
        duplicateNames.add(name);
        names.delete(name);
      } else names.add(name);
    };
    for (const name of req.topicNames) addName(name);
    for (const t of req.topics) {
      if (t.name === null) {
        if (t.topicId === ZERO_UUID) {
          responses.push(result(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'));
        } else if (duplicateIds.has(t.topicId) || ids.has(t.topicId)) {
          duplicateIds.add(t.topicId);
          ids.delete(t.topicId);
        } else ids.add(t.topicId);
      } else if (t.topicId === ZERO_UUID) {
        addName(t.name);
      } else {
        responses.push(result(t.name, t.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'));
      }
    }
    for (const name of duplicateNames) responses.push(result(name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    for (const id of duplicateIds) responses.push(result(null, id, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'));

    // Resolve everything to id -> name, ids first, as Kafka does.
    const toDelete = new Map<string, string>();
    for (const id of ids) {
      const t = broker.topics.byId(id);
      if (t) toDelete.set(id, t.name);
      else responses.push(result(null, id, ErrorCode.UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_ID_MESSAGE));
    }
    for (const name of names) {
      const t = broker.topics.get(name);
      if (!t) {
        responses.push(result(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE));
      } else if (toDelete.has(t.topicId)) {
        toDelete.delete(t.topicId);
        responses.push(result(name, t.topicId, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'));
      } else toDelete.set(t.topicId, name);
    }

    for (const [id, name] of toDelete) {
      if (INTERNAL_TOPICS.has(name)) {
        responses.push(result(name, id, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete internal topic ${name}`));
        continue;
      }
      try {
        await broker.topics.delete(name);
        responses.push(result(name, id, ErrorCode.NONE, null));
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        responses.push(result(name, id, err.code, err.message));
      }
    }
    return { ...defaultDeleteTopicsResponse(), responses };
  },
  errorResponse(req, errorCode) {
    return allRefused(req, errorCode, null);
  },
});
