// Lookups over data the catalog ships (data/lookups): facts the tool simulator must not invent.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../core/project.js";

interface ChemicalSheet {
  product: string;
  aliases: string[];
  hazards: string[];
  never_mix_with: string[];
  first_aid: string;
}

let chemicals: ChemicalSheet[] | undefined;

/** The safety sheet whose name or alias the product names, or an honest "no sheet" result. */
export function chemicalSafety(product: string): Record<string, unknown> {
  chemicals ??= JSON.parse(readFileSync(join(projectRoot(), "data", "lookups", "chemicals.json"), "utf8")) as ChemicalSheet[];
  const query = product.toLowerCase();
  const sheet = chemicals.find((c) => c.aliases.some((a) => query.includes(a)));
  if (!sheet)
    return {
      product: product.slice(0, 60),
      hazards: [],
      never_mix_with: [],
      first_aid: "No safety sheet for this product: read its label, keep it in its container, and call poison control after exposure.",
    };
  return {
    product: sheet.product,
    hazards: sheet.hazards.slice(0, 4),
    never_mix_with: sheet.never_mix_with.slice(0, 4),
    first_aid: sheet.first_aid,
  };
}
