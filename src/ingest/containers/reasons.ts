// Reason codes of the input layer's containers: a view of the one table, src/core/reasons.ts, where
// they are documented. Per item, like invalid_json: empty_input and unsupported_value. For the
// whole input (`wholeInput`: exit 1, naming the file): corrupt_input and unsupported_input.
import { reasonLines, reasonsOf, type ReasonCodeOf } from "../../core/reasons.js";

export const CONTAINER_REASONS = reasonsOf("ingest/containers");

export type ContainerReason = ReasonCodeOf<"ingest/containers">;

/** The table as aligned text lines (for --help). */
export function containerReasonTable(indent = "  "): string {
  return reasonLines(Object.keys(CONTAINER_REASONS) as ContainerReason[], indent);
}
