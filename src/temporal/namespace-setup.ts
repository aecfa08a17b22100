// `npm run ops -- setup` (CONTRACT part 4): registers the onboarding search attributes
// (ONBOARDING_SEARCH_ATTRIBUTES, the one list the dev server and docker-compose use too) on a
// namespace through Temporal's operator service. Idempotent: the namespace's attributes are read
// first and only the missing ones are added; one registered under another type is an error to fix
// by hand (Temporal cannot change a search attribute's type), never silently accepted.
import type { ConnectionLike } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ONBOARDING_SEARCH_ATTRIBUTES } from './search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** The operator service's value type of each SDK search-attribute type. */
export const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface NamespaceSetup {
  namespace: string;
  /** Added by this run. */
  created: string[];
  /** Registered before, with the right type. */
  existing: string[];
}

export class SearchAttributeConflict extends Error {
  override name = 'SearchAttributeConflict';
}

/** Registers every onboarding search attribute missing on the namespace. */
export async function setupNamespace(connection: Pick<ConnectionLike, 'operatorService'>, namespace: string): Promise<NamespaceSetup> {
  const listed = await connection.operatorService.listSearchAttributes({ namespace });
  const registered = new Map<string, number>(Object.entries(listed.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  const created: string[] = [];
  const existing: string[] = [];
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of ONBOARDING_SEARCH_ATTRIBUTES) {
    const wanted = INDEXED_VALUE_TYPES[key.type];
    const found = registered.get(key.name);
    if (found === undefined) {
      missing[key.name] = wanted;
      created.push(key.name);
    } else if (found !== wanted) {
      throw new SearchAttributeConflict(
        `search attribute ${key.name} is registered on namespace ${namespace} as ${IndexedValueType[found] ?? found}, the service needs ${key.type}: remove it (temporal operator search-attribute remove) and run setup again`,
      );
    } else {
      existing.push(key.name);
    }
  }
  if (created.length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return { namespace, created, existing };
}
