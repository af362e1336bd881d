// The one horizontal bar chart of the HTML reports: a bar per persona, stacked by a colour field
// (stats' trained share and substance scores, eval's refusal outcomes).
import type { TopLevelSpec } from "vega-lite";

type Channel = Record<string, unknown>;

/** A bar per persona (in `order`, or as the values come), `x` stacked and split by `color`. */
export function personaBars(values: object[], x: Channel, color: Channel, order: string[] | null = null): TopLevelSpec {
  return {
    data: { values },
    mark: "bar",
    width: 520,
    height: { step: 22 },
    encoding: { y: { field: "persona", type: "nominal", sort: order, title: null }, x, color },
  } as TopLevelSpec;
}
