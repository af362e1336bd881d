// Registry of deterministic tool executors: results are computed, never generated.
// A tool in data/tools names its executor with `"executor": "<name>"`; the rest are answered by
// the tool simulator. Failures become the result's `error` field, as a real tool would report them.
import { evaluateExpression, roundTo } from "./calculator.js";
import { addToDate, daysBetween, formatDate, isoWeek, parseDate, WEEKDAYS } from "./dates.js";
import { identifyHash, passwordStrength, slugify, textStats, transformText, type TextOperation } from "./text.js";
import { chemicalSafety } from "./lookup.js";
import { convertUnits } from "./units.js";

type Args = Record<string, unknown>;
export type Executor = (args: Args) => Record<string, unknown>;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 120);

export const EXECUTORS: Record<string, Executor> = {
  calculator: ({ expression }) => {
    try {
      return { expression, value: evaluateExpression(String(expression)), error: null };
    } catch (err) {
      return { expression, value: null, error: message(err) };
    }
  },
  convert_units: ({ value, from, to }) => {
    try {
      return { ...convertUnits(Number(value), String(from), String(to)), error: null };
    } catch (err) {
      return { value: null, unit: String(to).slice(0, 12), error: message(err) };
    }
  },
  percentage: ({ part, whole }) => {
    const [p, w] = [Number(part), Number(whole)];
    if (w === 0) return { percent_of: null, percent_change: null, error: "whole must not be zero" };
    return { percent_of: roundTo((p / w) * 100, 4), percent_change: roundTo(((p - w) / Math.abs(w)) * 100, 4), error: null };
  },
  date_add: ({ date, amount, unit }) => {
    try {
      const result = addToDate(parseDate(String(date)), Number(amount), unit as "days");
      return { date: formatDate(result), weekday: WEEKDAYS[result.getUTCDay()], error: null };
    } catch (err) {
      return { date: null, weekday: null, error: message(err) };
    }
  },
  date_diff: ({ start, end }) => {
    try {
      const days = daysBetween(parseDate(String(start)), parseDate(String(end)));
      return { days, weeks: Math.trunc(days / 7), error: null };
    } catch (err) {
      return { days: null, weeks: null, error: message(err) };
    }
  },
  day_of_week: ({ date }) => {
    try {
      const d = parseDate(String(date));
      return { weekday: WEEKDAYS[d.getUTCDay()], iso_week: isoWeek(d), error: null };
    } catch (err) {
      return { weekday: null, iso_week: null, error: message(err) };
    }
  },
  chemical_safety: ({ product }) => chemicalSafety(String(product)),
  text_stats: ({ text }) => textStats(String(text)),
  transform_text: ({ text, operation }) => ({ text: transformText(String(text), operation as TextOperation).slice(0, 400) }),
  slugify: ({ text }) => ({ slug: slugify(String(text)).slice(0, 200) }),
  password_strength: ({ password }) => passwordStrength(String(password)),
  hash_identify: ({ digest }) => identifyHash(String(digest)),
  bmi: ({ weight_kg, height_cm }) => {
    const [w, h] = [Number(weight_kg), Number(height_cm) / 100];
    if (!(w > 0) || !(h > 0)) return { bmi: null, category: null, error: "weight and height must be positive" };
    const bmi = roundTo(w / (h * h), 1);
    const category = bmi < 18.5 ? "underweight" : bmi < 25 ? "normal" : bmi < 30 ? "overweight" : "obese";
    return { bmi, category, error: null };
  },
  loan_payment: ({ principal, annual_rate_percent, years }) => {
    const [p, rate, n] = [Number(principal), Number(annual_rate_percent) / 100 / 12, Number(years) * 12];
    if (!(p > 0) || !(n > 0) || rate < 0)
      return {
        monthly_payment: null,
        total_interest: null,
        total_paid: null,
        error: "principal and years must be positive, rate not negative",
      };
    const monthly = rate === 0 ? p / n : (p * rate) / (1 - (1 + rate) ** -n);
    const total = monthly * n;
    return { monthly_payment: roundTo(monthly, 2), total_interest: roundTo(total - p, 2), total_paid: roundTo(total, 2), error: null };
  },
};
