// Search attributes as a visibility list answers them (the raw payloads of an execution info), for
// tests that build one: each value through the SDK's public payload converter, dates as ISO text;
// src/temporal/search-attributes.ts reads them back.
import { defaultPayloadConverter, type TypedSearchAttributes } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export function indexedFieldsOf(attributes: TypedSearchAttributes): Record<string, temporal.api.common.v1.IPayload> {
  return Object.fromEntries(
    attributes.getAll().map(({ key, value }) => [key.name, defaultPayloadConverter.toPayload(value instanceof Date ? value.toISOString() : value)]),
  );
}
