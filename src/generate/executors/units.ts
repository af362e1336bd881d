// Unit conversion by table: each unit is a factor to its dimension's base unit (temperature is affine).

type Unit = { dimension: string; toBase: (x: number) => number; fromBase: (x: number) => number };

const linear = (dimension: string, factor: number): Unit => ({
  dimension,
  toBase: (x) => x * factor,
  fromBase: (x) => x / factor,
});

const UNITS: Record<string, Unit> = {
  // length (metre)
  mm: linear("length", 0.001),
  cm: linear("length", 0.01),
  m: linear("length", 1),
  km: linear("length", 1000),
  in: linear("length", 0.0254),
  ft: linear("length", 0.3048),
  yd: linear("length", 0.9144),
  mi: linear("length", 1609.344),
  nmi: linear("length", 1852),
  // mass (kilogram)
  mg: linear("mass", 1e-6),
  g: linear("mass", 0.001),
  kg: linear("mass", 1),
  t: linear("mass", 1000),
  oz: linear("mass", 0.028349523125),
  lb: linear("mass", 0.45359237),
  st: linear("mass", 6.35029318),
  // volume (litre)
  ml: linear("volume", 0.001),
  l: linear("volume", 1),
  m3: linear("volume", 1000),
  tsp: linear("volume", 0.00492892159375),
  tbsp: linear("volume", 0.01478676478125),
  floz: linear("volume", 0.0295735295625),
  cup: linear("volume", 0.2365882365),
  pt: linear("volume", 0.473176473),
  qt: linear("volume", 0.946352946),
  gal: linear("volume", 3.785411784),
  // temperature (kelvin)
  degC: { dimension: "temperature", toBase: (x) => x + 273.15, fromBase: (x) => x - 273.15 },
  degF: { dimension: "temperature", toBase: (x) => ((x - 32) * 5) / 9 + 273.15, fromBase: (x) => ((x - 273.15) * 9) / 5 + 32 },
  K: linear("temperature", 1),
  // speed (metre per second)
  "m/s": linear("speed", 1),
  "km/h": linear("speed", 1000 / 3600),
  mph: linear("speed", 1609.344 / 3600),
  kn: linear("speed", 1852 / 3600),
  // area (square metre)
  m2: linear("area", 1),
  km2: linear("area", 1e6),
  ha: linear("area", 1e4),
  acre: linear("area", 4046.8564224),
  ft2: linear("area", 0.09290304),
  // time (second)
  s: linear("time", 1),
  min: linear("time", 60),
  h: linear("time", 3600),
  day: linear("time", 86400),
  week: linear("time", 604800),
  // data (byte)
  B: linear("data", 1),
  KB: linear("data", 1e3),
  MB: linear("data", 1e6),
  GB: linear("data", 1e9),
  TB: linear("data", 1e12),
  KiB: linear("data", 1024),
  MiB: linear("data", 1024 ** 2),
  GiB: linear("data", 1024 ** 3),
  TiB: linear("data", 1024 ** 4),
};

/** Spellings people type, mapped to the table's symbols. */
const ALIASES: Record<string, string> = {
  c: "degC",
  "°c": "degC",
  celsius: "degC",
  f: "degF",
  "°f": "degF",
  fahrenheit: "degF",
  kelvin: "K",
  meter: "m",
  metre: "m",
  meters: "m",
  metres: "m",
  kilometer: "km",
  kilometers: "km",
  mile: "mi",
  miles: "mi",
  inch: "in",
  inches: "in",
  foot: "ft",
  feet: "ft",
  yard: "yd",
  yards: "yd",
  gram: "g",
  grams: "g",
  kilogram: "kg",
  kilograms: "kg",
  kgs: "kg",
  pound: "lb",
  pounds: "lb",
  lbs: "lb",
  ounce: "oz",
  ounces: "oz",
  liter: "l",
  litre: "l",
  liters: "l",
  litres: "l",
  milliliter: "ml",
  millilitre: "ml",
  cups: "cup",
  gallon: "gal",
  gallons: "gal",
  teaspoon: "tsp",
  tablespoon: "tbsp",
  kph: "km/h",
  kmh: "km/h",
  knots: "kn",
  hours: "h",
  hour: "h",
  minutes: "min",
  seconds: "s",
  days: "day",
  weeks: "week",
};

function resolveUnit(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed in UNITS) return trimmed;
  const lower = trimmed.toLowerCase();
  if (lower in ALIASES) return ALIASES[lower];
  return Object.keys(UNITS).find((u) => u.toLowerCase() === lower);
}

export function convertUnits(value: number, from: string, to: string): { value: number; unit: string } {
  const a = resolveUnit(from);
  const b = resolveUnit(to);
  if (!a) throw new Error(`unknown unit "${from}"`);
  if (!b) throw new Error(`unknown unit "${to}"`);
  if (UNITS[a].dimension !== UNITS[b].dimension)
    throw new Error(`cannot convert ${UNITS[a].dimension} (${a}) to ${UNITS[b].dimension} (${b})`);
  const result = UNITS[b].fromBase(UNITS[a].toBase(value));
  return { value: Number(result.toPrecision(12)), unit: b };
}
