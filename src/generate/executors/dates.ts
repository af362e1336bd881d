// Calendar arithmetic on plain dates (YYYY-MM-DD), in UTC so no time zone or DST shifts a day.

export const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_MS = 86_400_000;

export function parseDate(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a date in YYYY-MM-DD form`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw new Error(`"${text}" is not a real calendar date`);
  return date;
}

export const formatDate = (date: Date): string => date.toISOString().slice(0, 10);

const daysInMonth = (year: number, monthIndex: number): number => new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();

/** Adds units; months and years clamp to the month's last day (Jan 31 + 1 month = Feb 28 or 29). */
export function addToDate(date: Date, amount: number, unit: "days" | "weeks" | "months" | "years"): Date {
  if (unit === "days" || unit === "weeks") return new Date(date.getTime() + amount * (unit === "weeks" ? 7 : 1) * DAY_MS);
  const months = unit === "years" ? amount * 12 : amount;
  const total = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const monthIndex = total - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, monthIndex));
  return new Date(Date.UTC(year, monthIndex, day));
}

export const daysBetween = (start: Date, end: Date): number => Math.round((end.getTime() - start.getTime()) / DAY_MS);

/** ISO 8601 week number (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(date: Date): number {
  const thursday = new Date(date.getTime() + (3 - ((date.getUTCDay() + 6) % 7)) * DAY_MS);
  const firstThursdayYearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() - firstThursdayYearStart) / DAY_MS / 7) + 1;
}
